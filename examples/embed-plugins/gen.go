package embedplugins

// The bindings of world image-filter (wit/world.wit): the host's typed
// caller (imagefilter/), and the plugins' Go and C bindings.
// TestGeneratedFresh fails when they are stale.
//go:generate go run ../../cmd/bindery bindgen --wit wit --world image-filter --lang go-host --out imagefilter
//go:generate go run ../../cmd/bindery bindgen --wit wit --world image-filter --lang go-guest --out plugins/go/imagefilter
//go:generate go run ../../cmd/bindery bindgen --wit wit --world image-filter --lang c --out plugins/c/imagefilter
