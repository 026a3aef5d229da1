"""The hidden checks of every exercise, one module per exercise id.

Module ``<exercise_id>.py`` defines ``SPEC = ExerciseSpec(...)``;
:func:`edu_chain.grading.spec.get_spec` imports it from the id, so adding an exercise is
adding its module here and its folder ``exercises/<exercise_id>/`` (whose ``exercise.toml``
names the functions, the check groups with their points and the banned modules).  Modules
whose name starts with ``_`` are shared helpers, not exercises.
"""
