% # History and its commands: commit comment, show system commit, show |
% # compare rollback N, rollback N (and its errors), copy, rename, delete,
% # commit confirmed then confirmed, show system rollback N [compare M],
% # configure exclusive (auto rollback on exit) and configure private.
$ configure
Entering configuration mode
$ set system host-name lab1
$ commit comment "base system"
commit complete
$ set security ike proposal p1 dh-group group19
$ set security ike policy pol1 proposals p1
$ set security ike policy pol1 pre-shared-key ascii-text "k1"
$ commit comment "IKE policy"
commit complete
$ set security ike gateway gw1 ike-policy pol1
$ set security ike gateway gw1 address 192.0.2.1
$ commit
commit complete
$ run show system commit
0   <TIME> by root via cli
1   <TIME> by root via cli
    "IKE policy"
2   <TIME> by root via cli
    "base system"
$ show | compare rollback 1
[edit security ike]
+   gateway gw1 {
+       ike-policy pol1;
+       address 192.0.2.1;
+   }
$ show | compare rollback 3
[edit]
+   system {
+       host-name lab1;
+   }
+   security {
+       ike {
+           proposal p1 {
+               dh-group group19;
+           }
+           policy pol1 {
+               proposals p1;
+               pre-shared-key {
+                   ascii-text "$9$<SECRET>"; ## SECRET-DATA
+               }
+           }
+           gateway gw1 {
+               ike-policy pol1;
+               address 192.0.2.1;
+           }
+       }
+   }
$ rollback 2
load complete
$ show | compare
[edit]
-   security {
-       ike {
-           proposal p1 {
-               dh-group group19;
-           }
-           policy pol1 {
-               proposals p1;
-               pre-shared-key {
-                   ascii-text "$9$<SECRET>"; ## SECRET-DATA
-               }
-           }
-           gateway gw1 {
-               ike-policy pol1;
-               address 192.0.2.1;
-           }
-       }
-   }
$ show | compare rollback 2
$ rollback
load complete
$ show | compare
$ rollback 50
rollback 50
         ^
Value 50 is not within range (0..49) at '50'
$ rollback 9
error: rollback 9 does not exist
$ copy security ike gateway gw1 to gateway gw2
$ show security ike gateway gw2
ike-policy pol1;
address 192.0.2.1;
$ rename security ike gateway gw2 to gateway gw3
$ show | compare
[edit security ike]
+   gateway gw3 {
+       ike-policy pol1;
+       address 192.0.2.1;
+   }
$ rename security ike gateway nosuch to gateway gw4
rename security ike gateway nosuch to gateway gw4
                            ^
statement not found.
$ copy security ike gateway gw1
copy security ike gateway gw1
                              ^
missing argument.
$ delete security ike gateway gw3
$ show | compare
$ delete security ike gateway gw1 address
$ show security ike gateway gw1
ike-policy pol1;
$ rollback 0
load complete
$ set security ike gateway gw1 nat-keepalive 25
$ commit confirmed 5 comment "try it"
commit confirmed will be automatically rolled back in 5 minutes unless confirmed
commit complete
$ run show system commit
0   <TIME> by root via cli commit confirmed, rollback in <N>mins
    "try it"
1   <TIME> by root via cli
2   <TIME> by root via cli
    "IKE policy"
3   <TIME> by root via cli
    "base system"
$ commit check
configuration check succeeds
$ run show system commit
0   <TIME> by root via cli commit confirmed, rollback in <N>mins
    "try it"
1   <TIME> by root via cli
2   <TIME> by root via cli
    "IKE policy"
3   <TIME> by root via cli
    "base system"
% # A plain commit confirms it. With nothing changed it is still a commit,
% # as on Junos: a new entry 0, the same configuration as rollback 1.
$ commit
commit complete
$ run show system commit
0   <TIME> by root via cli
1   <TIME> by root via cli
    "try it"
2   <TIME> by root via cli
3   <TIME> by root via cli
    "IKE policy"
4   <TIME> by root via cli
    "base system"
$ run show system rollback 1 compare 0
$ commit comment "no change, on record"
commit complete
$ run show system commit | match "^0 |no change"
0   <TIME> by root via cli
    "no change, on record"
$ exit
Exiting configuration mode
$ show system rollback 3
system {
    host-name lab1;
}
security {
    ike {
        proposal p1 {
            dh-group group19;
        }
        policy pol1 {
            proposals p1;
            pre-shared-key {
                ascii-text "$9$<SECRET>"; ## SECRET-DATA
            }
        }
        gateway gw1 {
            ike-policy pol1;
            address 192.0.2.1;
        }
    }
}
$ show system rollback 3 compare 5
[edit]
+   security {
+       ike {
+           proposal p1 {
+               dh-group group19;
+           }
+           policy pol1 {
+               proposals p1;
+               pre-shared-key {
+                   ascii-text "$9$<SECRET>"; ## SECRET-DATA
+               }
+           }
+           gateway gw1 {
+               ike-policy pol1;
+               address 192.0.2.1;
+           }
+       }
+   }
$ show system rollback 5 compare 3
[edit]
-   security {
-       ike {
-           proposal p1 {
-               dh-group group19;
-           }
-           policy pol1 {
-               proposals p1;
-               pre-shared-key {
-                   ascii-text "$9$<SECRET>"; ## SECRET-DATA
-               }
-           }
-           gateway gw1 {
-               ike-policy pol1;
-               address 192.0.2.1;
-           }
-       }
-   }
$ show system rollback 49
error: rollback 49 does not exist
$ configure exclusive
warning: uncommitted changes will be discarded on exit
Entering configuration mode
$ set system host-name lab-x
$ exit
The configuration has been changed but not committed
warning: Auto rollback on exiting 'configure exclusive'
Discard uncommitted changes? [yes,no] (yes) yes
warning: discarding uncommitted changes
load complete
Exiting configuration mode
$ show configuration system
host-name lab1;
$ configure private
warning: uncommitted changes will be discarded on exit
Entering configuration mode
$ set system host-name lab-p
$ commit
commit complete
$ exit
Exiting configuration mode
$ show configuration system
host-name lab-p;
[exit 1]
