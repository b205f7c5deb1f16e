#!/bin/sh
# expect_exit.sh CODE CMD [ARGS...]: succeeds only when CMD exits with exactly CODE.
want=$1
shift
"$@"
got=$?
[ "$got" -eq "$want" ] && exit 0
echo "expected exit $want, got $got: $*" >&2
exit 1
