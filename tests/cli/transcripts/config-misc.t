% # More configuration-mode commands and their errors: delete at a level
% # (asks; script mode takes the default, no), run (with pipes, errors),
% # show errors, show | compare rollback out of range, edit errors, top
% # with a command, rollback with no number, quit configuration-mode, insert.
$ configure
Entering configuration mode
$ set system host-name lab1
$ set security ike proposal p1 dh-group group19
$ commit
commit complete
$ delete
Delete everything under this level? [yes,no] (no) no
$ show system
host-name lab1;
$ run shoe
run shoe
    ^
unknown command.
$ run show system commit | count
Count: 1 lines
$ run
run
    ^
missing argument.
$ edit security ike proposal p1
$ delete dh-group
$ show
$ up
$ show | compare
[edit security ike proposal p1]
-   dh-group group19;
$ show | compare rollback 60
show | compare rollback 60
                        ^
Value 60 is not within range (0..49) at '60'
$ show frob
show frob
     ^
syntax error.
$ show | display json
{
  "cairn-security:security": {
    "ike": {
      "proposal": [
        {
          "name": "p1"
        }
      ]
    }
  }
}
$ edit security ike nosuch
edit security ike nosuch
     ^
syntax error.
$ top frob
top frob
    ^
unknown command.
$ top
$ set security ike proposal p2 dh-group group20
$ set security ike proposal p3 dh-group group21
$ insert security ike proposal p3 before proposal p1
$ show security ike | match proposal
proposal p3 {
proposal p1;
proposal p2 {
$ insert security ike proposal p3 beside p1
insert security ike proposal p3 beside p1
                                ^
syntax error.
$ insert
insert
       ^
missing argument.
$ set security ike proposal p4 authentication-method pre-shared-keys dh-group group19 encryption-algorithm aes-128-gcm
$ set system login user alice uid 2001 class super-user
$ set security ike gateway gw1 address 192.0.2.2 external-interface ge-0/0/0.0 ike-policy pol
$ set security ipsec vpn v1 ike gateway gw1 ipsec-policy p
$ show security ike proposal p4
authentication-method pre-shared-keys;
dh-group group19;
encryption-algorithm aes-128-gcm;
$ show | compare | match "user|uid|class"
+       user alice {
+           uid 2001;
+           class super-user;
$ show security ipsec | display set
set security ipsec vpn v1 ike gateway gw1
set security ipsec vpn v1 ike ipsec-policy p
$ set security ike proposal p4 dh-group group20 lifetime-seconds 5
set security ike proposal p4 dh-group group20 lifetime-seconds 5
                                                               ^
Value 5 is not within range (180..86400) at '5'
$ set security ipsec vpn v1 ike gateway gw1 bind-interface st0.0
set security ipsec vpn v1 ike gateway gw1 bind-interface st0.0
                                          ^
syntax error.
$ show security ike proposal p4 dh-group
dh-group group19;
$ delete security ike gateway gw1 address external-interface
$ show security ike gateway gw1
ike-policy pol;
$ rollback
load complete
$ quit configuration-mode
Exiting configuration mode
$ exit frob
exit frob
     ^
syntax error, expecting <command>.
$ exit configuration-mode
exit configuration-mode
     ^
syntax error, expecting <command>.
$ quit
[exit 1]
