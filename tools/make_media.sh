#!/usr/bin/env bash
# Draws the add-on artwork with ImageMagick: resources/media/icon.png (512x512 PNG) and
# resources/media/fanart.jpg (1920x1080 JPG). Run it from anywhere: `bash tools/make_media.sh`.
# The motif is two sync arrows circling a play triangle on a dark indigo-to-teal gradient.
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
media="$repo/resources/media"
mkdir -p "$media"

command -v convert >/dev/null || { echo "make_media.sh: ImageMagick 'convert' is required" >&2; exit 1; }

# Prefer a real bold sans font file; ImageMagick's built-in default is the fallback.
font_args=()
for candidate in /usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf \
                 /usr/share/fonts/dejavu/DejaVuSans-Bold.ttf; do
  if [[ -f "$candidate" ]]; then font_args=(-font "$candidate"); break; fi
done

dark='#161a36'
teal='#0e7c86'
accent='#4fe3c1'

# Prints the MVG drawing of the motif centred on (cx, cy) with ring radius r: two clockwise
# arcs of 140 degrees, each ending in an arrowhead, around a right-pointing play triangle.
motif_mvg() {
  awk -v cx="$1" -v cy="$2" -v r="$3" -v colour="$4" 'BEGIN {
    pi = atan2(0, -1); w = r * 0.2
    printf "stroke %s fill none stroke-width %.1f stroke-linecap round stroke-linejoin round\n", colour, w
    # Each arc runs clockwise (visually) from angle a0 to a1, measured counter-clockwise from 3 o clock.
    split("170 30 350 210", a, " ")
    for (i = 1; i <= 3; i += 2) {
      a0 = a[i] * pi / 180; a1 = a[i + 1] * pi / 180
      if (a1 > a0) a1 -= 2 * pi
      # A polyline of short chords: this ImageMagick strokes SVG arc paths as closed shapes.
      printf "polyline"
      for (k = 0; k <= 48; k++) {
        t = a0 + (a1 - a0) * k / 48
        printf " %.1f,%.1f", cx + r * cos(t), cy - r * sin(t)
      }
      printf "\n"
    }
    printf "stroke none fill %s\n", colour
    for (i = 2; i <= 4; i += 2) {
      t = a[i] * pi / 180
      ex = cx + r * cos(t); ey = cy - r * sin(t)
      # Clockwise tangent and outward normal, in screen coordinates (y grows downwards).
      tx = sin(t); ty = cos(t); nx = cos(t); ny = -sin(t)
      printf "polygon %.1f,%.1f %.1f,%.1f %.1f,%.1f\n", \
        ex + tx * w * 1.6, ey + ty * w * 1.6, \
        ex + nx * w * 1.25 - tx * w * 0.3, ey + ny * w * 1.25 - ty * w * 0.3, \
        ex - nx * w * 1.25 - tx * w * 0.3, ey - ny * w * 1.25 - ty * w * 0.3
    }
    printf "fill white\n"
    printf "polygon %.1f,%.1f %.1f,%.1f %.1f,%.1f\n", \
      cx - r * 0.30, cy - r * 0.45, cx - r * 0.30, cy + r * 0.45, cx + r * 0.48, cy
  }'
}

# Icon: gradient square, soft glow behind the motif, name underneath.
icon_motif="$(motif_mvg 256 214 128 "$accent")"
convert -size 512x512 -define gradient:angle=135 "gradient:${dark}-${teal}" \
  \( -size 512x512 xc:none -fill 'rgba(79,227,193,0.18)' -draw 'circle 256,214 256,40' -blur 0x30 \) \
  -composite \
  -draw "$icon_motif" \
  "${font_args[@]}" -fill white -pointsize 64 -gravity south -annotate +0+34 'AIOStreams' \
  -strip -define png:exclude-chunks=date,time -depth 8 "PNG24:$media/icon.png"

# Fanart: wide gradient, large faded motif on the right, title and tagline on the left.
fanart_motif="$(motif_mvg 1520 540 260 '#35b8a4')"
convert -size 1920x1080 -define gradient:angle=120 "gradient:${dark}-${teal}" \
  \( -size 1920x1080 xc:none -fill 'rgba(79,227,193,0.12)' -draw 'circle 1520,540 1520,140' \
     -blur 0x60 \) -composite \
  -draw "$fanart_motif" \
  "${font_args[@]}" -fill white -pointsize 140 -gravity west -annotate +150-60 'AIOStreams' \
  -fill "$accent" -pointsize 54 -annotate +158+80 'Your Trakt, in sync' \
  -strip -quality 90 -sampling-factor 4:2:0 "$media/fanart.jpg"

chmod 0644 "$media/icon.png" "$media/fanart.jpg"
echo "wrote $media/icon.png and $media/fanart.jpg"
