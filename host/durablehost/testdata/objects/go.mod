module github.com/bindery-run/bindery/host/durablehost/testdata/objects

go 1.26.0

require github.com/bindery-run/bindery/guest-sdk/go v0.0.0

replace github.com/bindery-run/bindery/guest-sdk/go => ../../../../guest-sdk/go
