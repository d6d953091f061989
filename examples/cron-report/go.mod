module github.com/bindery-run/bindery/examples/cron-report

go 1.26.0

require github.com/bindery-run/bindery/guest-sdk/go v0.0.0

// A Go Worker is its own module so that the root module does not require
// the guest SDK: a module that imports bindery would not see this replace.
replace github.com/bindery-run/bindery/guest-sdk/go => ../../guest-sdk/go
