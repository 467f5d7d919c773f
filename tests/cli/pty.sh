#!/bin/bash
# SPDX-License-Identifier: MIT
# pty.sh: the cairn shell on a real terminal (tmux): prompts and banners,
# TAB and space completion (keywords and live values from mgd), `?` help,
# history, the ---(more)--- pager and screen-length, Ctrl-C, Ctrl-D, and
# `load set terminal` ended by Ctrl-D.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

# a commit-confirmed "minute" of 3 seconds, so the automatic rollback
# broadcast arrives during the test
start_mgd --confirmed-minute 3
# a configuration with two gateways and a policy, for live values
cairn <<'CMDS' >/dev/null
configure
set system host-name lab1
set security ike proposal p1 dh-group group19
set security ike policy pol-a proposals p1
set security ike policy pol-a pre-shared-key ascii-text secret1
set security ike policy pol-b proposals p1
set security ike policy pol-b pre-shared-key ascii-text secret2
set security ike gateway gw-east ike-policy pol-a
set security ike gateway gw-east address 192.0.2.1
set security ike gateway gw-west ike-policy pol-b
set security ike gateway gw-west address 192.0.2.2
commit
CMDS

step() { echo "pty: $*"; }
P='root@lab1'

tm_start s "$BIN/cairn --root $T"
tm_wait_input s "$P> "

step "TAB completes a unique keyword prefix"
tm_type s 'sh'
tm_send s Tab
tm_wait_input s "$P> show "
tm_type s 'conf'
tm_send s Tab
tm_wait_input s "$P> show configuration "
tm_send s C-u

step "? lists what may follow, then redisplays the line"
tm_type s 'show system '
tm_type s '?'
tm_wait s '^Possible completions:'
tm_wait s '^  commit +Show pending commit and commit history'
tm_wait s '^  rollback +Show rolled back configuration'
tm_wait_input s "$P> show system "
tm_send s C-u

step "errors put a caret under the word (column counts the prompt)"
tm_type s 'shoe'
tm_send s Enter
tm_wait s "^ {${#P}}  \^$"
tm_wait s '^unknown command\.$'

step "history: Up recalls the last command; show cli history lists it"
tm_type s 'show system commit'
tm_send s Enter
tm_wait s 'by root via cli'
tm_send s Up
tm_wait_input s "$P> show system commit"
tm_send s C-u
tm_type s 'show cli history'
tm_send s Enter
tm_wait s '^[0-9]{2}:[0-9]{2}:[0-9]{2} -- show system commit$'

step "Ctrl-C drops the line being typed"
tm_type s 'show conf'
tm_send s C-c
tm_wait_input s "$P> "
tm_type s 'show cli history'
tm_send s Enter
sleep 0.5
if tm_screen s | grep -q -- '-- show conf$'; then
	echo "Ctrl-C: the cancelled line reached the history" >&2
	exit 1
fi

step "pager: ---(more)--- past the screen length; space pages, q stops"
tm_type s 'set cli screen-length 5'
tm_send s Enter
tm_wait s '^Screen length set to 5$'
tm_clear s
tm_type s 'show configuration security'
tm_send s Enter
tm_wait s '---\(more\)---'
n1=$(tm_screen s | grep -c '^ ' || true)
tm_send s Space
sleep 0.3
tm_wait s '---\(more\)---'
n2=$(tm_screen s | grep -c '^ ' || true)
[ "$n2" -gt "$n1" ] || { echo "space did not page ($n1 -> $n2)" >&2; exit 1; }
tm_send s q
tm_wait_input s "$P> "
step "| no-more and screen-length 0 turn the pager off"
tm_clear s
tm_type s 'show configuration security | no-more'
tm_send s Enter
tm_wait_input s "$P> "
if tm_match s '---\(more\)---'; then
	echo "| no-more still paged" >&2
	exit 1
fi
tm_type s 'set cli screen-length 0'
tm_send s Enter
tm_wait s '^Screen length set to 0$'
tm_clear s
tm_type s 'show configuration security'
tm_send s Enter
tm_wait_input s "$P> "
if tm_match s '---\(more\)---'; then
	echo "screen-length 0 still paged" >&2
	exit 1
fi

step "configure: banner and # prompt"
tm_type s 'configure'
tm_send s Enter
tm_wait s '^Entering configuration mode$'
tm_wait s '^\[edit\]$'
tm_wait_input s "$P# "

step "TAB on a list position lists live entries from mgd"
tm_clear s
tm_type s 'set security ike gateway '
tm_send s Tab
tm_wait s '^  gw-east '
tm_wait s '^  gw-west '
tm_wait_input s "$P# set security ike gateway "
tm_type s 'gw-e'
tm_send s Tab
tm_wait_input s "$P# set security ike gateway gw-east "

step "leafref values: ike-policy lists the policies"
tm_type s 'ike-policy '
tm_type s '?'
tm_wait s '^  pol-a '
tm_wait s '^  pol-b '
tm_send s C-u

step "enum values with their descriptions"
tm_type s 'set security ike proposal p1 dh-group '
tm_type s '?'
tm_wait s '^  group14 +2048-bit MODP'
tm_send s C-u

step "after a value, TAB and ? offer the next statement of the same parent"
tm_type s 'set security ike proposal p1 dh-group group19 enc'
tm_send s Tab
tm_wait_input s "$P# set security ike proposal p1 dh-group group19 encryption-algorithm "
tm_type s '?'
tm_wait s '^  aes-256-gcm +'
tm_send s C-u

step "space completes a keyword; a value is left alone"
tm_type s 'set sec'
tm_send s Space
tm_wait_input s "$P# set security "
tm_send s C-u

step "edit changes the banner; set relative to it"
tm_type s 'edit security ike gateway gw-east'
tm_send s Enter
tm_wait s '^\[edit security ike gateway gw-east\]$'
tm_type s 'set nat-keepalive 30'
tm_send s Enter
tm_type s 'top'
tm_send s Enter
tm_clear s
tm_type s 'show | compare'
tm_send s Enter
tm_wait s '^\+ +nat-keepalive 30;$'

step "load set terminal, ended with Ctrl-D"
tm_type s 'load set terminal'
tm_send s Enter
tm_wait s '^\[Type \^D at a new line to end input\]$'
tm_type s 'set security ike gateway gw-west nat-keepalive 40'
tm_send s Enter
tm_send s C-d
tm_wait s '^load complete$'
tm_clear s
tm_type s 'show security ike gateway gw-west'
tm_send s Enter
tm_wait s '^nat-keepalive 40;$'

step "exit with uncommitted changes asks; no stays"
tm_type s 'exit'
tm_send s Enter
tm_wait_input s 'Exit with uncommitted changes? [yes,no] (yes) '
tm_type s 'no'
tm_send s Enter
tm_wait_input s "$P# "
tm_type s 'commit and-quit'
tm_send s Enter
tm_wait s '^commit complete$'
tm_wait s '^Exiting configuration mode$'
tm_wait_input s "$P> "

step "commit confirmed: mgd's rollback broadcast appears above the line being typed"
tm_type s 'configure'
tm_send s Enter
tm_wait_input s "$P# "
tm_type s 'set security ike proposal p1 lifetime-seconds 7200'
tm_send s Enter
tm_type s 'commit confirmed 1'
tm_send s Enter
tm_wait s '^commit confirmed will be automatically rolled back in 1 minutes unless confirmed$'
tm_wait_input s "$P# "
tm_type s 'show security ike'
tm_wait s '^Commit was not confirmed; automatic rollback complete\.$' 60
tm_wait_input s "$P# show security ike"
tm_send s Enter
tm_wait s '^proposal p1 \{$'
if tm_screen s | grep -q 'lifetime-seconds 7200;'; then
	echo "the unconfirmed change is still there" >&2
	exit 1
fi
tm_type s 'exit'
tm_send s Enter
tm_wait_input s "$P> "

step "Ctrl-D at the prompt leaves the shell"
tm_send s C-d
tm_wait s '^\[exited 0\]$'
echo "pty: ok"
