package codegen

import (
	"strconv"
	"strings"
)

// emitTestVectors writes test_vectors.h: TV_COUNT vectors of inputs and expected outputs. With
// no vectors it holds one all-zero input (for timing) and TV_COUNT 0.
func emitTestVectors(p *Plan, prefix string, tv *TestVectors, count int, banner string) []byte {
	var w cWriter
	mp := macroPrefix(prefix)
	w.f("%s#ifndef TEST_VECTORS_H\n#define TEST_VECTORS_H\n\n#include \"%s.h\"\n\n", banner, prefix)
	w.f("#define TV_COUNT %d\n\n", count)
	rows := max(count, 1)
	w.f("static const float tv_inputs[%d][%s_INPUT_SIZE] = {\n", rows, mp)
	if count == 0 {
		w.f("    {0.0f},\n")
	}
	for v := 0; v < count; v++ {
		w.f("    {")
		w.floatArray(tv.Inputs.Data[v*p.Input.Elements : (v+1)*p.Input.Elements])
		w.f("    },\n")
	}
	w.f("};\n\nstatic const float tv_expected[%d][%s_OUTPUT_SIZE] = {\n", rows, mp)
	if count == 0 {
		w.f("    {0.0f},\n")
	}
	for v := 0; v < count; v++ {
		w.f("    {")
		w.floatArray(tv.Outputs.Data[v*p.Output.Elements : (v+1)*p.Output.Elements])
		w.f("    },\n")
	}
	w.f("};\n\n#endif /* TEST_VECTORS_H */\n")
	return w.Bytes()
}

// harnessTemplate is harness.c; @PREFIX@, @MP@ (macro prefix), @TOLERANCE@, @ITERATIONS@ and
// @BANNER@ are substituted.
const harnessTemplate = `@BANNER@/* Test harness: checks every test vector against the reference outputs, times repeated
 * inferences and prints exactly one JSON line on stdout; exit status 0 iff "pass" is true.
 *
 * Pass rule, per vector: scale = max(max_i |ref_i|, 1e-3); rel_i = |y_i - ref_i| / scale;
 * pass when every rel_i <= TCDSE_TOLERANCE and at least one vector was checked. A non-finite
 * output counts as an error of 1e300. Before each vector the arena and the output buffer are
 * filled with 0xFF bytes (NaN) or 0x7F bytes (3.4e38), alternately, so stale reads show up.
 * With TCDSE_EXACT nonzero (the default for graphs with int8 layers, whose integer arithmetic
 * the Go interpreter defines bit for bit) every output must also equal its reference exactly;
 * "mismatches" counts those that do not. */
#if !defined(__TRICORE__) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 199309L
#endif

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#if !defined(__TRICORE__)
#include <time.h>
#endif

#include "@PREFIX@.h"
#include "test_vectors.h"

#ifndef TCDSE_TOLERANCE
#define TCDSE_TOLERANCE @TOLERANCE@
#endif
#ifndef TCDSE_EXACT
#define TCDSE_EXACT @EXACT@
#endif
#ifndef TCDSE_BENCH_ITERATIONS
#define TCDSE_BENCH_ITERATIONS @ITERATIONS@
#endif
#ifndef TCDSE_CPU_HZ
#define TCDSE_CPU_HZ 300000000.0
#endif

#define TCDSE_BAD_ERROR 1e300

static float out_buf[@MP@_OUTPUT_SIZE];

#if defined(__TRICORE__)
/* The timing hook: TCDSE_CYCLES() reads a free-running 32-bit counter and TCDSE_CYCLES_MASK
 * masks its valid bits. The default is CCNT, the CPU clock cycle counter (CSFR 0xFC04, bit 31
 * the sticky overflow flag); define both to use another timer, e.g. an STM (then also set
 * TCDSE_CPU_HZ to the timer's rate). */
#ifndef TCDSE_CYCLES
static uint32_t read_ccnt(void)
{
    uint32_t v;
#if defined(__TASKING__)
    v = (uint32_t)__mfcr(0xFC04);
#else
    __asm__ volatile("mfcr %0, 0xFC04" : "=d"(v));
#endif
    return v & 0x7FFFFFFFu;
}
#define TCDSE_CYCLES() read_ccnt()
#define TCDSE_CYCLES_MASK 0x7FFFFFFFu
#endif
#ifndef TCDSE_CYCLES_MASK
#define TCDSE_CYCLES_MASK 0xFFFFFFFFu
#endif

/* CRC-32 (IEEE) of the outputs, so a board's console line identifies what it computed. */
static uint32_t crc32_bytes(const void *data, size_t n)
{
    const uint8_t *p = (const uint8_t *)data;
    uint32_t crc = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; ++i) {
        crc ^= p[i];
        for (int k = 0; k < 8; ++k) {
            crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
        }
    }
    return ~crc;
}
#else
static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
#endif

int main(void)
{
    double max_abs = 0.0, max_rel = 0.0;
    long mismatches = 0;
    int pass = (TV_COUNT > 0);
    double ns_per_inference;
    for (int v = 0; v < TV_COUNT; ++v) {
        const uint8_t poison = (v % 2 == 0) ? 0xFFu : 0x7Fu;
        double scale = 1e-3;
        @PREFIX@_fill_arena(poison);
        memset(out_buf, poison, sizeof out_buf);
        if (@PREFIX@_run(tv_inputs[v], out_buf) != 0) {
            pass = 0;
        }
        for (int i = 0; i < @MP@_OUTPUT_SIZE; ++i) {
            const double r = fabs((double)tv_expected[v][i]);
            if (r > scale) {
                scale = r;
            }
        }
        for (int i = 0; i < @MP@_OUTPUT_SIZE; ++i) {
            const double y = (double)out_buf[i];
            double abs_err = TCDSE_BAD_ERROR, rel_err = TCDSE_BAD_ERROR;
            if (isfinite(y)) {
                abs_err = fabs(y - (double)tv_expected[v][i]);
                rel_err = abs_err / scale;
            }
            if (abs_err > max_abs) {
                max_abs = abs_err;
            }
            if (rel_err > max_rel) {
                max_rel = rel_err;
            }
            if (!(rel_err <= TCDSE_TOLERANCE)) {
                pass = 0;
            }
            if (TCDSE_EXACT != 0 && !(out_buf[i] == tv_expected[v][i])) {
                ++mismatches;
                pass = 0;
            }
        }
    }
    {
#if defined(__TRICORE__)
        uint64_t cycles = 0;
        for (int it = 0; it < TCDSE_BENCH_ITERATIONS; ++it) {
            const uint32_t c0 = TCDSE_CYCLES();
            (void)@PREFIX@_run(tv_inputs[0], out_buf);
            cycles += (uint64_t)((TCDSE_CYCLES() - c0) & TCDSE_CYCLES_MASK);
        }
        ns_per_inference = (double)cycles * 1e9 / TCDSE_CPU_HZ / TCDSE_BENCH_ITERATIONS;
        printf("{\"pass\":%s,\"vectors\":%d,\"max_abs_err\":%.9g,\"max_rel_err\":%.9g,"
               "\"iterations\":%d,\"ns_per_inference\":%.1f,\"cycles_per_inference\":%.1f,"
               "\"exact\":%s,\"mismatches\":%ld}\n",
               pass ? "true" : "false", TV_COUNT, max_abs, max_rel, TCDSE_BENCH_ITERATIONS,
               ns_per_inference, (double)cycles / TCDSE_BENCH_ITERATIONS,
               (TCDSE_EXACT != 0) ? "true" : "false", mismatches);
        /* The console line a farm's command board parses. */
        printf("TCDSE v=1 pass=%d cycles=%.0f crc=%08lx vectors=%d max_abs_err=%.9g max_rel_err=%.9g\n",
               pass ? 1 : 0, (double)cycles / TCDSE_BENCH_ITERATIONS,
               (unsigned long)crc32_bytes(out_buf, sizeof out_buf), TV_COUNT, max_abs, max_rel);
#else
        const uint64_t t0 = now_ns();
        for (int it = 0; it < TCDSE_BENCH_ITERATIONS; ++it) {
            (void)@PREFIX@_run(tv_inputs[0], out_buf);
        }
        ns_per_inference = (double)(now_ns() - t0) / TCDSE_BENCH_ITERATIONS;
        printf("{\"pass\":%s,\"vectors\":%d,\"max_abs_err\":%.9g,\"max_rel_err\":%.9g,"
               "\"iterations\":%d,\"ns_per_inference\":%.1f,\"exact\":%s,\"mismatches\":%ld}\n",
               pass ? "true" : "false", TV_COUNT, max_abs, max_rel, TCDSE_BENCH_ITERATIONS,
               ns_per_inference, (TCDSE_EXACT != 0) ? "true" : "false", mismatches);
#endif
    }
    return pass ? 0 : 1;
}
`

func emitHarness(prefix string, tolerance float64, iterations int, exact bool, banner string) []byte {
	r := strings.NewReplacer(
		"@EXACT@", strconv.Itoa(b2i(exact)),
		"@BANNER@", banner,
		"@MP@", macroPrefix(prefix),
		"@PREFIX@", prefix,
		"@TOLERANCE@", strconv.FormatFloat(tolerance, 'g', -1, 64),
		"@ITERATIONS@", strconv.Itoa(iterations),
	)
	return []byte(r.Replace(harnessTemplate))
}

const makefileTemplate = `# Generated by tcdse codegen. Do not edit.
#
#   make           builds ./harness for the host with $(CC) (default gcc) and runs nothing.
#   make run       builds and runs it; it prints one JSON line and exits 0 iff the check passed.
#   make tricore   builds harness.elf with the TriCore cross toolchain; set
#                  TRICORE_CC      the compiler driver (e.g. tricore-elf-gcc),
#                  TRICORE_CFLAGS  core and ABI options plus section placement, e.g.
#                                  -DTCDSE_WEIGHTS_SECTION='__attribute__((section(".rodata.nn")))'
#                                  -DTCDSE_SECTION_ARENA='__attribute__((section(".bss.cpu2_dspr")))'
#                                  -DTCDSE_CPU_HZ=300000000.0,
#                  TRICORE_LDFLAGS the board's linker script and startup objects,
#                  TRICORE_LDLIBS  libraries (libm for expf, and the stdio retarget).
#                  Not exercised by tcdse's own tests.

CC ?= gcc
ifeq ($(origin CC),default)
CC = gcc
endif
CFLAGS ?= -std=c99 -O2 -Wall -Wextra -Wshadow -Werror
LDLIBS ?= -lm

TRICORE_CC ?= tricore-elf-gcc
TRICORE_CFLAGS ?= -std=c99 -O2 -Wall -Wextra -Wshadow -Werror
TRICORE_LDFLAGS ?=
TRICORE_LDLIBS ?= -lm

SRCS = harness.c @PREFIX@.c @PREFIX@_weights.c
HDRS = @PREFIX@.h @PREFIX@_weights.h test_vectors.h

.PHONY: all run tricore clean

all: harness

harness: $(SRCS) $(HDRS)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(SRCS) $(LDLIBS)

run: harness
	./harness

tricore: harness.elf

harness.elf: $(SRCS) $(HDRS)
	$(TRICORE_CC) $(TRICORE_CFLAGS) $(TRICORE_LDFLAGS) -o $@ $(SRCS) $(TRICORE_LDLIBS)

clean:
	rm -f harness harness.elf
`

func emitMakefile(prefix string) []byte {
	return []byte(strings.ReplaceAll(makefileTemplate, "@PREFIX@", prefix))
}
