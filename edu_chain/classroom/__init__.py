"""Classroom and hackathon mode: a room of laptops on one testnet, a mining race, challenges.

The instructor runs ``educhain classroom host``: an ordinary node plus the classroom routes
(:mod:`edu_chain.classroom.routes`) and the projector page at ``/classroom``.  Each participant
runs ``educhain classroom join URL --name NAME``: an ordinary node that registers a display
name and its wallet address with the host, connects to it as a peer and mines to its own
wallet; a small agent thread (:mod:`edu_chain.classroom.agent`) follows the instructor's
controls (pause, pace, partition, heal, reset) by polling the host.

Nothing a participant *claims* is scored: the leaderboard (:mod:`.leaderboard`) and the
challenges (:mod:`.challenges`) are computed from the host's copy of the chain, by matching
coinbase outputs and transactions against the registered addresses (:mod:`.registry`);
what a block's transactions spent is read from its undo data (:mod:`.txfacts`).
"""

from __future__ import annotations

from edu_chain.classroom.challenges import Challenge as Challenge
from edu_chain.classroom.challenges import ChallengeFileError as ChallengeFileError
from edu_chain.classroom.challenges import load_challenges as load_challenges
from edu_chain.classroom.leaderboard import leaderboard as leaderboard
from edu_chain.classroom.registry import Classroom as Classroom
from edu_chain.classroom.registry import ClassroomError as ClassroomError

__all__ = [
    "Challenge",
    "ChallengeFileError",
    "Classroom",
    "ClassroomError",
    "leaderboard",
    "load_challenges",
]
