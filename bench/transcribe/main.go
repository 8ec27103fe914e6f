// Command transcribe measures the realtime factor (wall time / audio
// length) of Baton's transcription path against the plain engine on the
// same audio, in the same run: speech made by espeak-ng, muxed into an
// H.264/AAC MP4 like a processed video. Baton's path is what the
// transcribe job runs on a stored MP4: ffmpeg extracts 16 kHz mono WAV
// (transcode.ExtractAudio), then the engine adapter runs and its output is
// parsed into segments. The baseline is the bare engine binary on the
// already extracted WAV, at the same (lowered) CPU priority. Wall time and
// CPU time are both reported: on a shared machine CPU time is the steadier
// figure. Engines: pocketsphinx always; whisper when whisper-cli and
// BATON_WHISPER_MODEL are available.
//
//	go run ./bench/transcribe [-runs 3] [-repeat 4]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/baton-video/baton/media"
	"github.com/baton-video/baton/media/speech"
	"github.com/baton-video/baton/transcode"
)

const script = "Good morning team. This is the weekly update for the release. " +
	"The budget for the next quarter is approved, and the database migration is scheduled for Monday. " +
	"Please review the release schedule before Friday and leave a comment if anything is blocked. " +
	"The design review moved to Thursday afternoon. We still need a decision on the pricing page. " +
	"Thank you all for the quick answers last week, it made a real difference."

func main() {
	runs := flag.Int("runs", 3, "runs of each")
	repeat := flag.Int("repeat", 4, "times the script is spoken (about 25 s each)")
	quick := flag.Bool("quick", false, "one run of a single script")
	flag.Parse()
	if *quick {
		*runs, *repeat = 1, 1
	}
	for _, tool := range []string{"espeak-ng", "ffmpeg", speech.DefaultSphinxBin} {
		if _, err := exec.LookPath(tool); err != nil {
			fail("%s is not installed (make test-deps installs it)", tool)
		}
	}
	work, err := os.MkdirTemp("", "baton-bench-transcribe-")
	check(err)
	defer os.RemoveAll(work)

	speechWAV := filepath.Join(work, "speech.wav")
	run("espeak-ng", "-v", "en-us", "-s", "140", "-w", speechWAV, strings.Repeat(script+" ", *repeat))
	mp4 := filepath.Join(work, "video.mp4")
	run("ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-i", speechWAV,
		"-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30", "-map", "1:v", "-map", "0:a", "-shortest",
		"-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-ar", "48000",
		"-movflags", "+faststart", mp4)
	wav := filepath.Join(work, "audio.wav")
	run("ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-i", mp4, "-vn", "-ac", "1", "-ar", "16000", "-c:a", "pcm_s16le", wav)
	st, err := os.Stat(wav)
	check(err)
	audio := time.Duration(float64(st.Size()-44) / 32000 * float64(time.Second))

	tc, err := transcode.New(transcode.Config{})
	check(err)
	ctx := context.Background()
	engines := []struct {
		name     string
		engine   media.Transcriber
		baseline []string
	}{
		{"pocketsphinx", &speech.Sphinx{}, []string{speech.DefaultSphinxBin, "-infile", wav, "-time", "yes"}},
	}
	if model := os.Getenv("BATON_WHISPER_MODEL"); model != "" {
		if _, err := exec.LookPath(speech.DefaultWhisperBin); err == nil {
			engines = append(engines, struct {
				name     string
				engine   media.Transcriber
				baseline []string
			}{"whisper", &speech.Whisper{Model: model}, []string{speech.DefaultWhisperBin, "-m", model, "-f", wav, "-np"}})
		}
	} else {
		fmt.Println("whisper: skipped (set BATON_WHISPER_MODEL and put whisper-cli on PATH to include it)")
	}
	fmt.Printf("audio: %.1f s of espeak-ng speech; %d runs each, medians (min-max)\n", audio.Seconds(), *runs)
	fmt.Println("| engine | Baton (extract + engine + parse) | RTF | plain engine on the WAV | RTF | Baton / plain | CPU: Baton / plain (CPU-RTF) | segments |")
	fmt.Println("|---|---|---|---|---|---|---|---|")
	for _, e := range engines {
		var baton, plain, batonCPU, plainCPU []time.Duration
		segments := 0
		for i := 0; i < *runs; i++ {
			// Alternate, so drift in the machine's load hits both alike.
			start := time.Now()
			cmd := exec.Command(e.baseline[0], e.baseline[1:]...)
			cmd.Stdout, cmd.Stderr = nil, nil
			check(cmd.Start())
			// The same CPU priority Baton gives its engines.
			_ = syscall.Setpriority(syscall.PRIO_PROCESS, cmd.Process.Pid, 10)
			check(cmd.Wait())
			plain = append(plain, time.Since(start))
			plainCPU = append(plainCPU, cmd.ProcessState.UserTime()+cmd.ProcessState.SystemTime())

			dir, err := os.MkdirTemp(work, "job-")
			check(err)
			before := childCPU()
			start = time.Now()
			out := filepath.Join(dir, "audio.wav")
			check(tc.ExtractAudio(ctx, mp4, out))
			res, err := e.engine.Transcribe(ctx, media.TranscribeRequest{Audio: out, DurationMs: audio.Milliseconds()})
			check(err)
			segs := media.CleanSegments(res.Segments, audio.Milliseconds())
			baton = append(baton, time.Since(start))
			batonCPU = append(batonCPU, childCPU()-before)
			segments = len(segs)
			os.RemoveAll(dir)
		}
		b, p := median(baton), median(plain)
		bc, pc := median(batonCPU), median(plainCPU)
		fmt.Printf("| %s | %s | %.3f | %s | %.3f | %.2f | %.1f s / %.1f s (%.3f / %.3f) | %d |\n", e.name, spread(baton), b.Seconds()/audio.Seconds(),
			spread(plain), p.Seconds()/audio.Seconds(), b.Seconds()/p.Seconds(), bc.Seconds(), pc.Seconds(),
			bc.Seconds()/audio.Seconds(), pc.Seconds()/audio.Seconds(), segments)
	}
}

// childCPU is the CPU time of this process's finished children so far.
func childCPU() time.Duration {
	var ru syscall.Rusage
	check(syscall.Getrusage(syscall.RUSAGE_CHILDREN, &ru))
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

func spread(ds []time.Duration) string {
	s := slices.Clone(ds)
	slices.Sort(s)
	return fmt.Sprintf("%.2f s (%.2f–%.2f)", median(ds).Seconds(), s[0].Seconds(), s[len(s)-1].Seconds())
}

func run(name string, args ...string) {
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		fail("%s: %v\n%s", name, err, out)
	}
}

func check(err error) {
	if err != nil {
		fail("%v", err)
	}
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench/transcribe: "+format+"\n", args...)
	os.Exit(1)
}
