package tray

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/png"
)

// levelColors are the icon's colours, those of the local UI's cards:
// green connected, grey paused, amber waiting, red action needed, and a
// dark grey for a connector that is not running.
var levelColors = map[Level]color.NRGBA{
	LevelOK:      {0x2e, 0x7d, 0x32, 0xff},
	LevelPaused:  {0x75, 0x75, 0x75, 0xff},
	LevelWaiting: {0xf9, 0xa8, 0x25, 0xff},
	LevelAction:  {0xc6, 0x28, 0x28, 0xff},
	LevelStopped: {0x42, 0x42, 0x42, 0xff},
}

// iconSize is the icon's side in pixels; Windows scales it to the
// notification area's size.
const iconSize = 32

// Icon returns the .ico file of a level: a filled disc in the level's
// colour. It is drawn here, not shipped as a file, so the colours stay
// in one place; Windows Vista and later read PNG images inside .ico.
func Icon(l Level) []byte {
	c, ok := levelColors[l]
	if !ok {
		c = levelColors[LevelStopped]
	}
	img := image.NewNRGBA(image.Rect(0, 0, iconSize, iconSize))
	const r = iconSize/2 - 1
	for y := range iconSize {
		for x := range iconSize {
			dx, dy := x-iconSize/2, y-iconSize/2
			if dx*dx+dy*dy <= r*r {
				img.SetNRGBA(x, y, c)
			}
		}
	}
	var p bytes.Buffer
	if err := png.Encode(&p, img); err != nil {
		// Encoding an in-memory NRGBA image cannot fail.
		panic(err)
	}
	var b bytes.Buffer
	// ICONDIR: reserved, type 1 (icon), one image.
	binary.Write(&b, binary.LittleEndian, [3]uint16{0, 1, 1})
	// ICONDIRENTRY: width, height, colours, reserved, planes, bit count,
	// size of the image data, and its offset (6 + 16).
	b.Write([]byte{iconSize, iconSize, 0, 0})
	binary.Write(&b, binary.LittleEndian, [2]uint16{1, 32})
	binary.Write(&b, binary.LittleEndian, [2]uint32{uint32(p.Len()), 6 + 16})
	b.Write(p.Bytes())
	return b.Bytes()
}
