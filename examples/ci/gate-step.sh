#!/usr/bin/env sh
# Generic CI / deploy step: fail the pipeline unless every commit being deployed has the sign-offs it needs.
#   BASE: the last deployed (or target-branch) commit; HEAD: what is about to ship.
# Sign-offs travel as git notes, so fetch them first.
set -eu
BASE=${BASE:?set BASE to the last deployed commit or the target branch}
HEAD=${HEAD:-HEAD}
git fetch --quiet origin 'refs/notes/brake-signoffs:refs/notes/brake-signoffs' 2>/dev/null || true
git fetch --quiet origin 'refs/notes/ai:refs/notes/ai' 2>/dev/null || true
exec "${BRAKE:-brake}" gate --range "$BASE..$HEAD" --format "${BRAKE_GATE_FORMAT:-text}"
