% # Configuration mode in script mode: a route-based VPN from Junos set
% # lines, show (curly, display set), navigation (edit, up, top, exit;
% # status shows the level), show | compare, commit check, commit, the
% # error paths (carets), a commit failing on a dangling reference.
$ configure
Entering configuration mode
$ set interfaces ge-0/0/0 unit 0 family inet address 192.0.2.1/24
$ set interfaces st0 unit 0 family inet address 10.255.255.1/30
$ set security ike proposal ike-prop authentication-method pre-shared-keys
$ set security ike proposal ike-prop dh-group group19
$ set security ike proposal ike-prop encryption-algorithm aes-256-gcm
$ set security ike policy ike-pol proposals ike-prop
$ set security ike policy ike-pol pre-shared-key ascii-text "s3cret-key"
$ set security ike gateway gw-east ike-policy ike-pol
$ set security ike gateway gw-east address 198.51.100.7
$ set security ike gateway gw-east external-interface ge-0/0/0.0
$ set security ipsec proposal ipsec-prop encryption-algorithm aes-256-gcm
$ set security ipsec policy ipsec-pol proposals ipsec-prop
$ set security ipsec vpn vpn-east bind-interface st0.0
$ set security ipsec vpn vpn-east ike gateway gw-east
$ set security ipsec vpn vpn-east ike ipsec-policy ipsec-pol
$ set security ipsec vpn vpn-east establish-tunnels immediately
$ set routing-options static route 10.20.0.0/16 next-hop st0.0
$ set security zones security-zone untrust interfaces ge-0/0/0.0 host-inbound-traffic system-services ike
$ set security zones security-zone vpn interfaces st0.0
$ show security ike
proposal ike-prop {
    authentication-method pre-shared-keys;
    dh-group group19;
    encryption-algorithm aes-256-gcm;
}
policy ike-pol {
    proposals ike-prop;
    pre-shared-key {
        ascii-text "$9$<SECRET>"; ## SECRET-DATA
    }
}
gateway gw-east {
    ike-policy ike-pol;
    address 198.51.100.7;
    external-interface ge-0/0/0.0;
}
$ show | display set
set interfaces ge-0/0/0 unit 0 family inet address 192.0.2.1/24
set interfaces st0 unit 0 family inet address 10.255.255.1/30
set routing-options static route 10.20.0.0/16 next-hop st0.0
set security ike proposal ike-prop authentication-method pre-shared-keys
set security ike proposal ike-prop dh-group group19
set security ike proposal ike-prop encryption-algorithm aes-256-gcm
set security ike policy ike-pol proposals ike-prop
set security ike policy ike-pol pre-shared-key ascii-text "$9$<SECRET>"
set security ike gateway gw-east ike-policy ike-pol
set security ike gateway gw-east address 198.51.100.7
set security ike gateway gw-east external-interface ge-0/0/0.0
set security ipsec proposal ipsec-prop encryption-algorithm aes-256-gcm
set security ipsec policy ipsec-pol proposals ipsec-prop
set security ipsec vpn vpn-east bind-interface st0.0
set security ipsec vpn vpn-east ike gateway gw-east
set security ipsec vpn vpn-east ike ipsec-policy ipsec-pol
set security ipsec vpn vpn-east establish-tunnels immediately
set security zones security-zone untrust interfaces ge-0/0/0.0 host-inbound-traffic system-services ike
set security zones security-zone vpn interfaces st0.0
$ commit check
configuration check succeeds
$ commit
commit complete
$ show | compare
$ edit security ike gateway gw-east
$ show
ike-policy ike-pol;
address 198.51.100.7;
external-interface ge-0/0/0.0;
$ set dead-peer-detection interval 20
$ status
Current configuration users:
root via cli (pid <PID>) on since <TIME>
[edit security ike gateway gw-east]
The configuration has been changed but not committed
$ up
$ show gateway gw-east dead-peer-detection
interval 20;
$ edit proposal ike-prop
$ set lifetime-seconds 3600
$ up 2
$ status
Current configuration users:
root via cli (pid <PID>) on since <TIME>
[edit security]
The configuration has been changed but not committed
$ show ike proposal ike-prop
authentication-method pre-shared-keys;
dh-group group19;
encryption-algorithm aes-256-gcm;
lifetime-seconds 3600;
$ exit
$ status
Current configuration users:
root via cli (pid <PID>) on since <TIME>
[edit]
The configuration has been changed but not committed
$ edit security ipsec
$ edit vpn vpn-east
$ top set system host-name lab1
$ show
bind-interface st0.0;
ike {
    gateway gw-east;
    ipsec-policy ipsec-pol;
}
establish-tunnels immediately;
$ status
Current configuration users:
root via cli (pid <PID>) on since <TIME>
[edit security ipsec vpn vpn-east]
The configuration has been changed but not committed
$ exit
$ status
Current configuration users:
root via cli (pid <PID>) on since <TIME>
[edit security ipsec]
The configuration has been changed but not committed
$ exit
$ status
Current configuration users:
root via cli (pid <PID>) on since <TIME>
[edit]
The configuration has been changed but not committed
$ show | compare
[edit]
+   system {
+       host-name lab1;
+   }
[edit security ike proposal ike-prop]
+   lifetime-seconds 3600;
[edit security ike gateway gw-east]
+   dead-peer-detection {
+       interval 20;
+   }
$ set system arrr
set system arrr
           ^
syntax error.
$ set s
set s
    ^
's' is ambiguous.
$ set system
set system
           ^
missing argument.
$ set security ike gateway gw-east nat-keepalive 301
set security ike gateway gw-east nat-keepalive 301
                                               ^
Value 301 is not within range (1..300) at '301'
$ set security ike gateway gw-east version v3
set security ike gateway gw-east version v3
                                         ^
syntax error.
$ sett system
sett system
^
unknown command.
$ edit security ike gateway
edit security ike gateway
                          ^
missing argument.
$ up x
up x
   ^
syntax error, expecting <count>.
$ commit frob
commit frob
       ^
syntax error.
$ set security ipsec vpn vpn-west ike gateway gw-west
$ set security ipsec vpn vpn-west ike ipsec-policy ipsec-pol
$ commit
[edit security ipsec vpn vpn-west ike]
  'gateway gw-west'
    Referenced ike gateway gw-west not defined
error: commit failed: (referenced object not defined)
$ delete security ipsec vpn vpn-west
$ commit and-quit
commit complete
Exiting configuration mode
$ show configuration system
host-name lab1;
$ show configuration security ike gateway gw-east | display set
set security ike gateway gw-east ike-policy ike-pol
set security ike gateway gw-east address 198.51.100.7
set security ike gateway gw-east dead-peer-detection interval 20
set security ike gateway gw-east external-interface ge-0/0/0.0
[exit 1]
