"""``python -m movierec.wait_for URL [--timeout S]``: wait until URL answers, so ``make demo`` says "ready" when
the site really is (the first start loads the catalog and the models before it answers).

Any HTTP answer counts (a 503 from /healthz is a degraded site that answers); a refused or silent connection
does not. Exits 0 as soon as it answers, 1 after the timeout.
"""

from __future__ import annotations

import argparse
import sys
import time
import urllib.error
import urllib.request


def wait_for(url: str, *, timeout: float, interval: float = 0.25) -> bool:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return True
        except urllib.error.HTTPError:
            return True  # it answered, with an error status
        except (OSError, ValueError):
            if time.monotonic() >= deadline:
                return False
            time.sleep(interval)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url")
    parser.add_argument("--timeout", type=float, default=120.0, help="Seconds to wait (default 120).")
    args = parser.parse_args(argv)
    if wait_for(args.url, timeout=args.timeout):
        return 0
    print(f"{args.url} did not answer within {args.timeout:.0f} s", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
