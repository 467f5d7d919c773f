% # Pipes: match and except (regular expressions, case-insensitive as on
% # Junos), count, last, find, no-more, display set|json|xml (configuration
% # and RPC replies), chains, and their errors.
$ configure
Entering configuration mode
$ set system host-name lab1
$ set security ike proposal p1 dh-group group19
$ set security ike policy pol1 proposals p1
$ set security ike policy pol1 pre-shared-key ascii-text k1
$ set security ike gateway gw-east ike-policy pol1
$ set security ike gateway gw-east address 192.0.2.1
$ set security ike gateway gw-west ike-policy pol1
$ set security ike gateway gw-west address 192.0.2.2
$ set security ipsec proposal ip1 encryption-algorithm aes-256-gcm
$ set security ipsec policy ipol proposals ip1
$ set security ipsec vpn vpn-east ike gateway gw-east
$ set security ipsec vpn vpn-east ike ipsec-policy ipol
$ set security ipsec vpn vpn-west ike gateway gw-west
$ set security ipsec vpn vpn-west ike ipsec-policy ipol
$ commit and-quit
commit complete
Exiting configuration mode
$ show configuration | match gateway
        gateway gw-east {
        gateway gw-west {
                gateway gw-east;
                gateway gw-west;
$ show configuration | match "GW-(EAST|WEST)"
        gateway gw-east {
        gateway gw-west {
                gateway gw-east;
                gateway gw-west;
$ show configuration | except "[{}]"
## Last commit: <TIME> by root
    host-name lab1;
            dh-group group19;
            proposals p1;
                ascii-text "$9$<SECRET>"; ## SECRET-DATA
            ike-policy pol1;
            address 192.0.2.1;
            ike-policy pol1;
            address 192.0.2.2;
            encryption-algorithm aes-256-gcm;
            proposals ip1;
                gateway gw-east;
                ipsec-policy ipol;
                gateway gw-west;
                ipsec-policy ipol;
$ show configuration | count
Count: 45 lines
$ show configuration security ike | last 4
gateway gw-west {
    ike-policy pol1;
    address 192.0.2.2;
}
$ show configuration | find ipsec
    ipsec {
        proposal ip1 {
            encryption-algorithm aes-256-gcm;
        }
        policy ipol {
            proposals ip1;
        }
        vpn vpn-east {
            ike {
                gateway gw-east;
                ipsec-policy ipol;
            }
        }
        vpn vpn-west {
            ike {
                gateway gw-west;
                ipsec-policy ipol;
            }
        }
    }
}
$ show configuration | find ipsec | match vpn | count
Count: 2 lines
$ show configuration security ike gateway gw-east | no-more
ike-policy pol1;
address 192.0.2.1;
$ show configuration security ipsec | display set
set security ipsec proposal ip1 encryption-algorithm aes-256-gcm
set security ipsec policy ipol proposals ip1
set security ipsec vpn vpn-east ike gateway gw-east
set security ipsec vpn vpn-east ike ipsec-policy ipol
set security ipsec vpn vpn-west ike gateway gw-west
set security ipsec vpn vpn-west ike ipsec-policy ipol
$ show configuration security ipsec | display set | match gw-west
set security ipsec vpn vpn-west ike gateway gw-west
$ show configuration system | display json
{
  "cairn-system:system": {
    "host-name": "lab1"
  }
}
$ show configuration system | display xml
<system xmlns="urn:cairn:system">
  <host-name>lab1</host-name>
</system>
$ show system commit | display json
{
  "cairn-mgmt:get-commit-history": {
    "commit": [
      {
        "index": 0,
        "sequence": "1",
        "time": "<TIME>",
        "user": "root",
        "client": "cli"
      }
    ]
  }
}
$ show system commit | display xml | count
Count: 9 lines
$ show configuration | match
show configuration | match
                           ^
missing argument.
$ show configuration | match "("
show configuration | match "("
                           ^
error: invalid regular expression: '('
$ show configuration | last 0
show configuration | last 0
                          ^
Value 0 is not within range (1..100000) at '0'
$ show configuration | frob
show configuration | frob
                     ^
syntax error.
$ show configuration | display
show configuration | display
                             ^
missing argument.
$ show cli history | display set
show cli history | display set
                   ^
syntax error.
[exit 1]
