//go:build wasip1

// Command invert is an image-filter plugin in Go: it inverts the image's
// bytes when asked, then adds the brightness (saturating), and logs what
// it did when it was granted log. Build it as a reactor:
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o invert.wasm .
package main

import (
	"strconv"

	"github.com/bindery-run/bindery/examples/embed-plugins/plugins/go/imagefilter"
)

// maxImage is the largest image the filter takes.
const maxImage = 4 << 20

func init() { imagefilter.Exports.Apply = apply }

func apply(img []byte, p imagefilter.Params) ([]byte, *imagefilter.Error) {
	if len(img) == 0 {
		return nil, &imagefilter.Error{Tag: imagefilter.ErrorBadImage, BadImage: "empty image"}
	}
	if len(img) > maxImage {
		return nil, &imagefilter.Error{Tag: imagefilter.ErrorTooLarge, TooLarge: maxImage}
	}
	out := make([]byte, len(img))
	for i, b := range img {
		v := int32(b)
		if p.Invert {
			v = 255 - v
		}
		out[i] = byte(min(max(v+p.Brightness, 0), 255))
	}
	imagefilter.Log("invert: " + strconv.Itoa(len(img)) + " bytes, invert=" + strconv.FormatBool(p.Invert) + ", brightness=" + strconv.Itoa(int(p.Brightness)))
	return out, nil
}

func main() {}
