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
