% # show version: the host name (when configured), the model, the
% # project's version (CMake's), the versions cairn-mgd and cairn-iked
% # report (cairn-iked is not running here, so no dataplane line either),
% # the kernel.
$ show version
Model: cairn
Cairn version <VERSION>
cairn-mgd version <VERSION>
cairn-iked not running
Kernel: <KERNEL>
$ configure
Entering configuration mode
$ set system host-name lab9
$ commit
commit complete
$ exit
Exiting configuration mode
$ show version | match "Hostname|Model"
Hostname: lab9
Model: cairn
% # several daemons' answers: no single reply to show as JSON or XML
$ show version | display json
show version | display json
               ^
syntax error.
[exit 1]
