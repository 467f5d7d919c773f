% # load: set and curly text from the terminal (a ^D line ends it in script
% # mode), all or nothing (an error leaves the candidate unchanged and
% # points at the line and word), files (curly, JSON by content), override,
% # replace, relative to the edit path, and the command's own errors.
% sh printf 'system {\n    host-name loaded;\n}\nsecurity {\n    ike {\n        proposal px {\n            dh-group group21;\n        }\n    }\n}\n' >$T/load.conf
% sh printf '{"cairn-system:system":{"domain-name":"example.net"}}\n' >$T/load.json
$ configure
Entering configuration mode
$ load set terminal
$ set security ike proposal p1 dh-group group19
$ set security ike proposal p1 lifetime-seconds 3600
$ ^D
load complete
$ show security ike
proposal p1 {
    dh-group group19;
    lifetime-seconds 3600;
}
$ load merge terminal
$ security {
$     ike {
$         proposal p2 {
$             dh-group group20;
$         }
$     }
$ }
$ ^D
load complete
$ show security ike
proposal p1 {
    dh-group group19;
    lifetime-seconds 3600;
}
proposal p2 {
    dh-group group20;
}
$ load set terminal
$ set security ike proposal p3 dh-group group14
$ set security ike proposal p3 lifetime-seconds 99
$ ^D
set security ike proposal p3 lifetime-seconds 99
                                              ^
Value 99 is not within range (180..86400) at '99'
error: load failed (terminal, line 2)
$ show security ike proposal p3
$ load merge terminal
$ security {
$     ike {
$         proposal p4 {
$             dh-grup group20;
$         }
$     }
$ }
$ ^D
            dh-grup group20;
            ^
syntax error.
error: load failed (terminal, line 4)
$ load override $T/load.conf
load complete
$ show
system {
    host-name loaded;
}
security {
    ike {
        proposal px {
            dh-group group21;
        }
    }
}
$ show | compare
[edit]
+   system {
+       host-name loaded;
+   }
+   security {
+       ike {
+           proposal px {
+               dh-group group21;
+           }
+       }
+   }
$ load merge $T/load.json
load complete
$ show system
host-name loaded;
domain-name example.net;
$ load replace $T/load.conf
load complete
$ load merge /nonexistent/file
error: /nonexistent/file: No such file or directory
$ load frob terminal
load frob terminal
     ^
syntax error.
$ load merge
load merge
           ^
missing argument.
$ edit security ike
$ load set terminal
$ set proposal p9 dh-group group21
$ ^D
load complete
$ top
$ show security ike proposal p9
dh-group group21;
$ commit and-quit
commit complete
Exiting configuration mode
[exit 1]
