"""Mining speed: the hashlib midstate loop, the Numba miner on one thread and on all cores.

    python benchmarks/mining.py [--json] [--seconds S] [--no-start-up]

JSON keys: ``hashlib_hps``, ``numba_1t_hps``, ``numba_hps`` (hashes per second), ``threads``,
``ratio_1t`` (numba_1t_hps / hashlib_hps), ``ratio_all``, ``thread_scaling``
(numba_hps / numba_1t_hps), ``cores_used_all_threads`` (CPU seconds per second this process
obtained while all threads ran: below ``threads`` means other programs took cores, so the
scaling figure is a lower bound), ``compile_s`` (a fresh process with an empty Numba cache,
from start to its first search), ``cached_start_s`` (the same with the cache filled: how fast
a second process reaches full speed), and ``machine`` (CPU features, lanes, load average).
Each rate is the best of 3 runs sharing ``--seconds``.
The three rates are measured one after the other in this run; compilation is excluded.
"""

from _common import emit, parser

from edu_chain.cli.bench import mining_table
from edu_chain.pow.bench import measure_mining


def main() -> None:
    arguments = parser(__doc__.splitlines()[0])
    arguments.add_argument("--seconds", type=float, default=2.0, help="per measurement")
    arguments.add_argument("--no-start-up", action="store_true", help="skip compile timings")
    options = arguments.parse_args()
    result = measure_mining(options.seconds, start_up=not options.no_start_up)
    emit(result, options.json, mining_table)


if __name__ == "__main__":
    main()
