//go:build wasip1

// Command go is the image-filter plugin of abi/bindgen's end-to-end test,
// in Go: a wasip1 reactor (go build -buildmode=c-shared) on the bindings
// that bindery bindgen made in ./imagefilter.
package main

import (
	"fmt"
	"slices"

	"github.com/bindery-run/bindery/abi/bindgen/testdata/imagefilter/go/imagefilter"
)

func init() {
	imagefilter.Exports.Apply = apply
	imagefilter.Exports.Version = func() string {
		span := imagefilter.NewSpan("version")
		defer span.Drop()
		return fmt.Sprintf("go 1 at %d (%s)", imagefilter.NowMs(), span.Finish())
	}
	imagefilter.InfoExports.Describe = func() []string { return []string{"go", "brightness", "invert"} }
}

func apply(img []byte, params imagefilter.Params) ([]byte, *imagefilter.Error) {
	if params.Label.Some {
		imagefilter.Log(imagefilter.LevelInfo, "go: "+params.Label.Value)
	}
	switch {
	case len(img) == 0:
		return nil, &imagefilter.Error{Tag: imagefilter.ErrorBadImage, BadImage: "empty image"}
	case len(img) > 1<<20:
		return nil, &imagefilter.Error{Tag: imagefilter.ErrorTooLarge, TooLarge: uint32(len(img))}
	case params.Brightness == 999:
		return nil, &imagefilter.Error{Tag: imagefilter.ErrorUnsupported}
	}
	out := make([]byte, len(img))
	for i, b := range img {
		v := uint8(min(max(int32(b)+params.Brightness, 0), 255))
		if params.Invert {
			v = 255 - v
		}
		out[i] = v
	}
	if params.Mode&imagefilter.ModeMirror != 0 {
		slices.Reverse(out)
	}
	return out, nil
}

func main() {}
