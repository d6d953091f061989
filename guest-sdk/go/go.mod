module github.com/bindery-run/bindery/guest-sdk/go

go 1.26
