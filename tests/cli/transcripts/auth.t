% # Authorization by login class (mgd decides; the shell shows it):
% # read-only and operator users cannot configure, secrets are masked for
% # classes that may not see them, super-users see them as $9$ and commit.
$ configure
Entering configuration mode
$ set system login user ro class read-only
$ set system login user op class operator
$ set system login user admin class super-user
$ set system login user admin authentication encrypted-password "$6$salt$hashhashhash"
$ set security ike proposal p1 dh-group group19
$ set security ike policy pol1 proposals p1
$ set security ike policy pol1 pre-shared-key ascii-text k1
$ commit and-quit
commit complete
Exiting configuration mode
[exit 0]
% session --user ro
$ show cli
CLI complete-on-space set to on
CLI screen-length disabled
CLI screen-width set to the terminal's
CLI terminal is 'none'
CLI user 'ro', login class 'read-only'
$ show configuration security ike policy pol1
proposals p1;
pre-shared-key {
    ascii-text /* SECRET-DATA */;
}
$ show configuration system login user admin
class super-user;
authentication {
    encrypted-password /* SECRET-DATA */;
}
$ show configuration security ike policy pol1 | display json
{
  "cairn-security:security": {
    "ike": {
      "policy": [
        {
          "name": "pol1",
          "proposals": [
            "p1"
          ],
          "pre-shared-key": {
            "ascii-text": "/* SECRET-DATA */"
          }
        }
      ]
    }
  }
}
$ show configuration security ike policy pol1 | display set
set security ike policy pol1 proposals p1
set security ike policy pol1 pre-shared-key ascii-text /* SECRET-DATA */
$ configure
error: permission denied
$ show system commit
0   <TIME> by root via cli
[exit 1]
% session --user op
$ show configuration security ike policy pol1
proposals p1;
pre-shared-key {
    ascii-text /* SECRET-DATA */;
}
$ configure
error: permission denied
[exit 1]
% session --user admin
$ show configuration security ike policy pol1
proposals p1;
pre-shared-key {
    ascii-text "$9$<SECRET>"; ## SECRET-DATA
}
$ show configuration system login user admin
class super-user;
authentication {
    encrypted-password "$6$salt$hashhashhash"; ## SECRET-DATA
}
$ configure
Entering configuration mode
$ set security ike proposal p1 lifetime-seconds 3600
$ commit comment "by admin"
commit complete
$ exit
Exiting configuration mode
$ show system commit
0   <TIME> by admin via cli
    "by admin"
1   <TIME> by root via cli
[exit 0]
% session --user nosuch -c "show cli"
error: no login user 'nosuch' is configured
[exit 2]
