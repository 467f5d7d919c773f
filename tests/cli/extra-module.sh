#!/bin/bash
# SPDX-License-Identifier: MIT
# extra-module.sh: the shell's grammar comes from the schema. A copy of
# the YANG directory gets one more module (a leaf augmented into IKE
# gateways, a new top-level container with a list, an enum with
# descriptions and a leafref, and an RPC naming its command words); mgd
# and cairn load that directory, and with no change to the shell the new
# statements are settable, completable (with live values) and showable,
# errors point at them, and the RPC is an operational command whose
# arguments come from its input (it fails at once: no daemon serves it).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

mkdir "$T/yang"
cp "$CAIRN_YANG_DIR"/*.yang "$T/yang/"
cat >"$T/yang/cairn-test-lab.yang" <<'YANG'
module cairn-test-lab {
  yang-version 1.1;
  namespace "urn:cairn:test-lab";
  prefix lab;
  import cairn-security { prefix sec; }
  import cairn-extensions { prefix cx; }
  organization "Cairn";
  description "Statements only the shell's tests load.";
  revision 2026-11-27 { description "Test module."; }

  augment "/sec:security/sec:ike/sec:gateway" {
    description "A test leaf in every IKE gateway.";
    leaf rekey-jitter {
      type uint8 { range "0..50"; }
      description "Random jitter added to rekey times, in percent";
    }
  }
  container lab {
    description "Laboratory statements";
    list widget {
      key name;
      description "A widget";
      leaf name { type string { length "1..16"; } description "Widget name"; }
      leaf color {
        type enumeration {
          enum red { description "Red as a fire engine"; }
          enum blue { description "Blue as the sea"; }
        }
        description "Widget color";
      }
      leaf gateway {
        type leafref { path "/sec:security/sec:ike/sec:gateway/sec:name"; }
        description "Gateway the widget watches";
      }
    }
  }
  rpc get-widget-state {
    cx:cli-command "show lab widgets";
    cx:min-class read-only;
    description "Show the state of the widgets.";
    input {
      leaf color {
        type enumeration {
          enum red { description "Red widgets"; }
          enum blue { description "Blue widgets"; }
        }
        description "Only widgets of this color";
      }
      leaf detail { type empty; description "Show details"; }
    }
    output { leaf count { type uint32; description "Number of widgets"; } }
  }
}
YANG
# An operational RPC in cairn-security, the module mgd routes to
# cairn-iked: as the iked engineers will add theirs (it names its command
# words, so the shell needs no table entry for it to exist).
sed -i '$d' "$T/yang/cairn-security.yang"
cat >>"$T/yang/cairn-security.yang" <<'YANG'
  rpc get-test-ike-sa {
    cx:cli-command "show security ike test-associations";
    cx:min-class read-only;
    description "Show IKE security associations (a test RPC).";
    input {
      leaf index {
        type uint32 { range "1..4294967295"; }
        description "Index of the security association";
      }
      leaf detail { type empty; description "Show detailed output"; }
    }
  }
}
YANG
export CAIRN_YANG_DIR=$T/yang
start_mgd

step() { echo "extra-module: $*"; }
fail() { echo "extra-module: $*" >&2; exit 1; }

step "set, commit and show the new statements (script mode)"
cairn >"$T/out" 2>&1 <<'CMDS' || fail "script failed: $(cat "$T/out")"
configure
set security ike proposal p1 dh-group group19
set security ike policy pol1 proposals p1
set security ike policy pol1 pre-shared-key ascii-text secret
set security ike gateway gw1 ike-policy pol1
set security ike gateway gw1 address 192.0.2.1
set security ike gateway gw1 rekey-jitter 10
set lab widget w1 color blue
set lab widget w1 gateway gw1
commit
exit
CMDS
diff -u - <(cairn -c 'show configuration lab') <<'EXP'
widget w1 {
    color blue;
    gateway gw1;
}
EXP
diff -u - <(cairn -c 'show configuration security ike gateway gw1 | display set | match rekey') <<'EXP'
set security ike gateway gw1 rekey-jitter 10
EXP

step "errors point at the new statements"
rc=0
cairn >"$T/out" 2>&1 <<'CMDS' || rc=$?
configure
set lab widget w1 color green
set security ike gateway gw1 rekey-jitter 99
set lab gadget x
CMDS
[ "$rc" -eq 1 ] || fail "exit status $rc"
diff -u - <(sed -n '2,$p' "$T/out") <<'EXP'
set lab widget w1 color green
                        ^
syntax error.
set security ike gateway gw1 rekey-jitter 99
                                          ^
Value 99 is not within range (0..50) at '99'
set lab gadget x
        ^
syntax error.
EXP

step "the RPC is a command; it fails at once, no daemon serving it"
rc=0
timeout 20 "$BIN/cairn" --root "$T" -c 'show lab widgets color red detail' >"$T/out" 2>&1 || rc=$?
[ "$rc" -eq 1 ] || fail "exit status $rc: $(cat "$T/out")"
grep -q '^error: no daemon serves cairn-test-lab:get-widget-state$' "$T/out" ||
	fail "unexpected: $(cat "$T/out")"

step "a security RPC fails at once with mgd's 'cairn-iked is not running'"
rc=0
timeout 20 "$BIN/cairn" --root "$T" -c 'show security ike test-associations index 7 detail' \
    >"$T/out" 2>&1 || rc=$?
[ "$rc" -eq 1 ] || fail "exit status $rc: $(cat "$T/out")"
diff -u - "$T/out" <<'EXP'
error: cairn-iked is not running
EXP
rc=0
"$BIN/cairn" --root "$T" -c 'show security ike test-associations index 0' >"$T/out" 2>&1 || rc=$?
diff -u - "$T/out" <<'EXP'
show security ike test-associations index 0
                                          ^
Value 0 is not within range (1..4294967295) at '0'
EXP

step "? and TAB offer the new statements, enum descriptions and live values"
tm_start s "$BIN/cairn --root $T"
tm_wait_input s 'root> '
tm_type s 'show security ike '
tm_type s '?'
tm_wait s '^  test-associations +Show IKE security associations \(a test RPC\)$'
tm_send s C-u
tm_type s 'show security '
tm_type s '?'
tm_wait s '^  ike +Show Internet Key Exchange information$'
tm_send s C-u
tm_type s 'show lab widgets '
tm_type s '?'
tm_wait s '^  color +Only widgets of this color$'
tm_wait s '^  detail +Show details$'
tm_send s C-u
tm_type s 'configure'
tm_send s Enter
tm_wait s '^\[edit\]$'
tm_type s 'set l'
tm_send s Tab
tm_wait_input s 'root# set lab '
tm_type s '?'
tm_wait s '^> widget +A widget$'
tm_send s C-u
tm_type s 'set lab widget w1 color '
tm_type s '?'
tm_wait s '^  blue +Blue as the sea$'
tm_wait s '^  red +Red as a fire engine$'
tm_send s C-u
tm_type s 'set lab widget w1 gateway '
tm_send s Tab
tm_wait_input s 'root# set lab widget w1 gateway gw1 '
tm_send s C-u
tm_type s 'set security ike gateway gw1 rek'
tm_send s Tab
tm_wait_input s 'root# set security ike gateway gw1 rekey-jitter '
tm_type s '?'
tm_wait s '^  <rekey-jitter> +Random jitter added to rekey times, in percent$'
echo "extra-module: ok"
