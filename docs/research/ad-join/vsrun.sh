#!/bin/sh
# vsrun.sh CMD...: run CMD in the VS's netns + a private mount ns where /run/samba/winbindd is the VS's socket dir
V=/tmp/adj-research/vs1
exec ip netns exec adj-vs1 unshare -m --propagation private sh -c 'mkdir -p /run/samba/winbindd && mount --bind '$V'/fs/winbindd /run/samba/winbindd && exec env KRB5_CONFIG='$V'/krb5.conf "$@"' vsrun "$@"
