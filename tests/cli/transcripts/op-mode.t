% # Operational mode in script mode: no prompts, no echo; errors as Junos
% # prints them (the offending line, a caret under the word, the message);
% # any failed command makes the exit status 1.
$ set cli screen-length 30
Screen length set to 30
$ set cli screen-width 100
Screen width set to 100
$ set cli complete-on-space off
Disabling complete-on-space
$ show cli
CLI complete-on-space set to off
CLI screen-length set to 30
CLI screen-width set to 100
CLI terminal is 'none'
CLI user 'root', login class 'super-user'
$ set cli complete-on-space on
Enabling complete-on-space
$ shoe
shoe
^
unknown command.
$ show frob
show frob
     ^
syntax error, expecting <command>.
$ s
s
^
's' is ambiguous.
Possible completions:
  set                  Set CLI properties, date/time, craft interface message
  show                 Show system information
$ show
show
     ^
syntax error, expecting <command>.
$ show system rollback
show system rollback
                     ^
missing argument.
$ show system rollback 50
show system rollback 50
                     ^
Value 50 is not within range (0..49) at '50'
$ show system rollback x
show system rollback x
                     ^
syntax error, expecting <number>.
$ show system rollback 1 compare
show system rollback 1 compare
                               ^
missing argument.
$ set cli screen-length
set cli screen-length
                      ^
missing argument.
$ set cli screen-length 10 20
set cli screen-length 10 20
                         ^
syntax error, expecting <command>.
$ show configuration securty
show configuration securty
                   ^
syntax error.
$ show configuration | display frob
show configuration | display frob
                             ^
syntax error.
$ show system commit | display set
show system commit | display set
                             ^
syntax error.
$ show system commit | match
show system commit | match
                           ^
missing argument.
$ show system commit |
show system commit |
                     ^
missing argument.
$ | count
| count
^
unknown command.
$ show cli "history
show cli "history
         ^
syntax error, unterminated quote.
$ configure private exclusive
configure private exclusive
                  ^
syntax error, expecting <command>.
$ sh cli hist 3
<HMS> -- show cli "history
<HMS> -- configure private exclusive
<HMS> -- sh cli hist 3
$ quit
$ show cli
[exit 1]
% # -c runs one command and exits; its status tells success
% session -c "show cli history"
<HMS> -- show cli history
[exit 0]
% session -c "shoe"
shoe
^
unknown command.
[exit 1]
% # several lines in one -c
% session -c $'set cli screen-length 7\nshow cli'
Screen length set to 7
CLI complete-on-space set to on
CLI screen-length set to 7
CLI screen-width set to the terminal's
CLI terminal is 'none'
CLI user 'root', login class 'super-user'
[exit 0]
