"""Merkle roots: the readable hashlib loop against ``merkle_root`` (Numba batch kernel).

    python benchmarks/merkle.py [--json] [--leaves N] [--repeats R]

JSON keys: ``leaves``, ``hashlib_s`` and ``merkle_root_s`` (best of ``repeats`` runs, in
seconds, kernels loaded beforehand), ``ratio`` (hashlib_s / merkle_root_s), ``machine``.
"""

from _common import emit, parser

from edu_chain.cli.bench import merkle_table
from edu_chain.pow.bench import measure_merkle


def main() -> None:
    arguments = parser(__doc__.splitlines()[0])
    arguments.add_argument("--leaves", type=int, default=1 << 20)
    arguments.add_argument("--repeats", type=int, default=3)
    options = arguments.parse_args()
    emit(measure_merkle(options.leaves, options.repeats), options.json, merkle_table)


if __name__ == "__main__":
    main()
