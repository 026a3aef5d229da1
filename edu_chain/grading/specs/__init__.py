"""The hidden checks of every exercise, one module per exercise id.

Importing this package registers every spec (see :func:`edu_chain.grading.spec.register`).
To add an exercise: write ``<exercise_id>.py`` here that calls ``register(ExerciseSpec(...))``
and add its name to the import list below; then write ``exercises/<exercise_id>/exercise.toml``
whose functions and check names match the spec.
"""

from edu_chain.grading.specs import (  # noqa: F401 - imported for their registration
    base58check,
    double_spend,
    ecdsa,
    fork_choice,
    merkle_proof,
    merkle_root,
    mine,
    retarget,
    sha256,
    sighash_sign,
    target,
    tx_serialize,
    validate_block,
)
