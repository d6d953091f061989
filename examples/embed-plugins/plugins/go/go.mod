module github.com/bindery-run/bindery/examples/embed-plugins/plugins/go

go 1.26.0
