#!/usr/bin/env bash
# Checks that CPU-bound guests sharing CPUs made progress in proportion to
# their weights. Reads the "(NAME) hog: NAME count N" lines the hog guest
# (tests/guests/hog.c) prints: every hog of a group counted its work in the
# same window of system time, so each one's share of the group's total count
# is its share of the CPU time the group got.
#
#   check-shares.sh [--tolerance PERCENT] GROUP... LOG
#
# GROUP is NAME:WEIGHT,NAME:WEIGHT,... (the hogs that competed for the same
# CPUs). Passes when, for every hog, |share - weight/total weight| is at most
# PERCENT (default 10) percent of weight/total weight. Prints one line per hog
# either way; exit status 1 on a miss or a missing count.
set -u
tolerance=10
groups=()
while [ $# -gt 1 ]; do
  case "$1" in
    --tolerance) tolerance=$2; shift 2 ;;
    *) groups+=("$1"); shift ;;
  esac
done
log=${1:-}
if [ -z "$log" ] || [ ! -f "$log" ] || [ ${#groups[@]} -eq 0 ]; then
  echo "usage: check-shares.sh [--tolerance PERCENT] NAME:WEIGHT,... LOG" >&2
  exit 2
fi

status=0
for group in "${groups[@]}"; do
  names=() weights=() counts=()
  IFS=, read -r -a members <<< "$group"
  for m in "${members[@]}"; do
    name=${m%%:*} weight=${m#*:}
    count=$(tr -d '\r' < "$log" | grep -aoE "^\\($name\\) hog: $name count [0-9]+$" | tail -n 1 |
            awk '{print $NF}')
    if [ -z "$count" ]; then
      echo "shares: no count from hog '$name'"
      status=1
      count=0
    fi
    names+=("$name") weights+=("$weight") counts+=("$count")
  done
  if ! awk -v tol="$tolerance" -v names="${names[*]}" -v weights="${weights[*]}" \
      -v counts="${counts[*]}" 'BEGIN {
        n = split(names, name, " "); split(weights, w, " "); split(counts, c, " ")
        for (i = 1; i <= n; i++) { tw += w[i]; tc += c[i] }
        if (tc == 0) { print "shares: no work counted"; exit 1 }
        bad = 0
        for (i = 1; i <= n; i++) {
          want = w[i] / tw; got = c[i] / tc; err = (got - want) / want * 100
          verdict = (err <= tol && err >= -tol) ? "ok" : "MISS"
          if (verdict == "MISS") bad = 1
          printf "shares: %-8s weight %5d count %10d share %5.1f%% (weight says %5.1f%%) error %+5.1f%% %s\n",
                 name[i], w[i], c[i], got * 100, want * 100, err, verdict
        }
        exit bad
      }'; then
    status=1
  fi
done
exit $status
