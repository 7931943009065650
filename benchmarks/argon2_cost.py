"""CPU cost of one password check with the configured Argon2id parameters, next to Django's defaults.

Run: .venv/bin/python -m benchmarks.argon2_cost [--rounds 50]
CPU time (process_time) is measured, not wall time, so a busy neighbour on the machine changes the
figures little; the ratio to Django's default parameters is the number to compare across machines.
"""

import argparse
import os
import time

import django


def cpu_ms_per_check(hasher, encoded: str, password: str, rounds: int) -> float:
    hasher.verify(password, encoded)  # warm-up
    start = time.process_time()
    for _ in range(rounds):
        assert hasher.verify(password, encoded)
    return (time.process_time() - start) / rounds * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=50)
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "titanobova_project.settings")
    django.setup()
    from django.contrib.auth.hashers import Argon2PasswordHasher

    from apps.users.hashers import TunedArgon2PasswordHasher

    password = "correct-horse-battery-staple-77"
    rows = []
    hashers = (("tuned (settings)", TunedArgon2PasswordHasher()), ("Django default", Argon2PasswordHasher()))
    for label, hasher in hashers:
        encoded = hasher.encode(password, hasher.salt())
        params = encoded.split("$")[3]
        rows.append((label, params, cpu_ms_per_check(hasher, encoded, password, args.rounds)))
    tuned_ms = rows[0][2]
    print(f"{'hasher':<18} {'parameters':<22} {'CPU ms/check':>12} {'checks/s/core':>14}")
    for label, params, ms in rows:
        print(f"{label:<18} {params:<22} {ms:>12.1f} {1000 / ms:>14.1f}")
    print(f"tuned / default CPU cost: {tuned_ms / rows[1][2]:.2f}")


if __name__ == "__main__":
    main()
