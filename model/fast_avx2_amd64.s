#include "textflag.h"

// func fastGemm4x16AVX2(k int, a *float32, b *float32, ldb int, c *float32, ldc int, bias *float32, relu int, mlo *int32, mhi *int32)
//
// C[0:4, 0:16] = Σ_l A[0:4, l]·B[l, 0:16] for l = 0..k−1 in increasing order from zero, each product
// rounded before it is added (VMULPS then VADDPS, no fused multiply-add), then plus bias[r] for
// row r, then max(·, 0) when relu != 0 (as Go's max computes it, see fastGemm8x32AVX512). a
// points at the first of the 4 rows in A packed as [k][8] (32 bytes per l); B's rows are ldb
// floats apart and C's rows ldc floats apart. mlo and mhi point at 8 int32 lane masks each (a
// lane is in when its sign bit is set) for columns 0–7 and 8–15: B and C are neither read nor
// written outside them (VMASKMOVPS). When both are full the loop reads B with plain loads.
TEXT ·fastGemm4x16AVX2(SB), NOSPLIT, $0-80
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DI
	MOVQ ldb+24(FP), R8
	MOVQ c+32(FP), DX
	MOVQ ldc+40(FP), R10
	MOVQ bias+48(FP), R11
	MOVQ relu+56(FP), R12
	MOVQ mlo+64(FP), R13
	MOVQ mhi+72(FP), R14
	SHLQ $2, R8
	SHLQ $2, R10
	VMOVDQU (R13), Y14
	VMOVDQU (R14), Y15
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	TESTQ CX, CX
	JEQ g4store
	MOVL 28(R14), AX // the last lane of the high mask: all 16 columns are in
	TESTL AX, AX
	JNS g4masked

g4full:
	VMOVUPS (DI), Y8
	VMOVUPS 32(DI), Y9
	VBROADCASTSS 0(SI), Y10
	VMULPS Y8, Y10, Y12
	VMULPS Y9, Y10, Y13
	VADDPS Y12, Y0, Y0
	VADDPS Y13, Y1, Y1
	VBROADCASTSS 4(SI), Y11
	VMULPS Y8, Y11, Y12
	VMULPS Y9, Y11, Y13
	VADDPS Y12, Y2, Y2
	VADDPS Y13, Y3, Y3
	VBROADCASTSS 8(SI), Y10
	VMULPS Y8, Y10, Y12
	VMULPS Y9, Y10, Y13
	VADDPS Y12, Y4, Y4
	VADDPS Y13, Y5, Y5
	VBROADCASTSS 12(SI), Y11
	VMULPS Y8, Y11, Y12
	VMULPS Y9, Y11, Y13
	VADDPS Y12, Y6, Y6
	VADDPS Y13, Y7, Y7
	ADDQ $32, SI
	ADDQ R8, DI
	DECQ CX
	JNZ g4full
	JMP g4store

g4masked:
	VMASKMOVPS (DI), Y14, Y8
	VMASKMOVPS 32(DI), Y15, Y9
	VBROADCASTSS 0(SI), Y10
	VMULPS Y8, Y10, Y12
	VMULPS Y9, Y10, Y13
	VADDPS Y12, Y0, Y0
	VADDPS Y13, Y1, Y1
	VBROADCASTSS 4(SI), Y11
	VMULPS Y8, Y11, Y12
	VMULPS Y9, Y11, Y13
	VADDPS Y12, Y2, Y2
	VADDPS Y13, Y3, Y3
	VBROADCASTSS 8(SI), Y10
	VMULPS Y8, Y10, Y12
	VMULPS Y9, Y10, Y13
	VADDPS Y12, Y4, Y4
	VADDPS Y13, Y5, Y5
	VBROADCASTSS 12(SI), Y11
	VMULPS Y8, Y11, Y12
	VMULPS Y9, Y11, Y13
	VADDPS Y12, Y6, Y6
	VADDPS Y13, Y7, Y7
	ADDQ $32, SI
	ADDQ R8, DI
	DECQ CX
	JNZ g4masked

g4store:
	VBROADCASTSS 0(R11), Y10
	VADDPS Y10, Y0, Y0
	VADDPS Y10, Y1, Y1
	VBROADCASTSS 4(R11), Y10
	VADDPS Y10, Y2, Y2
	VADDPS Y10, Y3, Y3
	VBROADCASTSS 8(R11), Y10
	VADDPS Y10, Y4, Y4
	VADDPS Y10, Y5, Y5
	VBROADCASTSS 12(R11), Y10
	VADDPS Y10, Y6, Y6
	VADDPS Y10, Y7, Y7
	TESTQ R12, R12
	JEQ g4write
	VXORPS Y8, Y8, Y8
	MOVL $0x7fffffff, AX
	MOVL AX, X9
	VPBROADCASTD X9, Y9
	VMAXPS Y0, Y8, Y0
	VANDPS Y9, Y0, Y0
	VMAXPS Y1, Y8, Y1
	VANDPS Y9, Y1, Y1
	VMAXPS Y2, Y8, Y2
	VANDPS Y9, Y2, Y2
	VMAXPS Y3, Y8, Y3
	VANDPS Y9, Y3, Y3
	VMAXPS Y4, Y8, Y4
	VANDPS Y9, Y4, Y4
	VMAXPS Y5, Y8, Y5
	VANDPS Y9, Y5, Y5
	VMAXPS Y6, Y8, Y6
	VANDPS Y9, Y6, Y6
	VMAXPS Y7, Y8, Y7
	VANDPS Y9, Y7, Y7

g4write:
	VMASKMOVPS Y0, Y14, (DX)
	VMASKMOVPS Y1, Y15, 32(DX)
	ADDQ R10, DX
	VMASKMOVPS Y2, Y14, (DX)
	VMASKMOVPS Y3, Y15, 32(DX)
	ADDQ R10, DX
	VMASKMOVPS Y4, Y14, (DX)
	VMASKMOVPS Y5, Y15, 32(DX)
	ADDQ R10, DX
	VMASKMOVPS Y6, Y14, (DX)
	VMASKMOVPS Y7, Y15, 32(DX)
	VZEROUPPER
	RET

// func fastDepthwiseAVX2(x *float32, y *float32, w *float32, offs *int, masks *int32, ntaps int, groups int, bias *float32, relu int, smasks *int32)
//
// For each group g of 64 outputs p (8 vectors of 8), y[p] = Σ_t w[t]·x[p+offs[t]] over the taps in
// order from zero, each product rounded before it is added, plus *bias, then max(·, 0) when
// relu != 0 (as Go's max computes it, see fastGemm8x32AVX512). Lane i of vector v of tap t reads
// x only where masks[((g·ntaps+t)·8+v)·8+i] has its sign bit set (elsewhere the product is
// zero), and y is written only where smasks[(g·8+v)·8+i] has (bit-identical to fastDepthwiseGo).
TEXT ·fastDepthwiseAVX2(SB), NOSPLIT, $0-80
	MOVQ x+0(FP), SI
	MOVQ y+8(FP), DI
	MOVQ w+16(FP), R8
	MOVQ offs+24(FP), R9
	MOVQ masks+32(FP), R10
	MOVQ ntaps+40(FP), R11
	MOVQ groups+48(FP), R12
	MOVQ bias+56(FP), R13
	MOVQ relu+64(FP), R14
	MOVQ smasks+72(FP), R15
	VBROADCASTSS (R13), Y11
	VXORPS Y12, Y12, Y12
	MOVL $0x7fffffff, AX
	MOVL AX, X13
	VPBROADCASTD X13, Y13
	TESTQ R12, R12
	JEQ dw2done

dw2group:
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	XORQ BX, BX
	TESTQ R11, R11
	JEQ dw2store

dw2tap:
	VBROADCASTSS (R8)(BX*4), Y15
	MOVQ (R9)(BX*8), AX
	LEAQ (SI)(AX*4), AX
	VMOVDQU 0(R10), Y14
	VMASKMOVPS 0(AX), Y14, Y8
	VMULPS Y15, Y8, Y8
	VADDPS Y8, Y0, Y0
	VMOVDQU 32(R10), Y14
	VMASKMOVPS 32(AX), Y14, Y8
	VMULPS Y15, Y8, Y8
	VADDPS Y8, Y1, Y1
	VMOVDQU 64(R10), Y14
	VMASKMOVPS 64(AX), Y14, Y8
	VMULPS Y15, Y8, Y8
	VADDPS Y8, Y2, Y2
	VMOVDQU 96(R10), Y14
	VMASKMOVPS 96(AX), Y14, Y8
	VMULPS Y15, Y8, Y8
	VADDPS Y8, Y3, Y3
	VMOVDQU 128(R10), Y14
	VMASKMOVPS 128(AX), Y14, Y8
	VMULPS Y15, Y8, Y8
	VADDPS Y8, Y4, Y4
	VMOVDQU 160(R10), Y14
	VMASKMOVPS 160(AX), Y14, Y8
	VMULPS Y15, Y8, Y8
	VADDPS Y8, Y5, Y5
	VMOVDQU 192(R10), Y14
	VMASKMOVPS 192(AX), Y14, Y8
	VMULPS Y15, Y8, Y8
	VADDPS Y8, Y6, Y6
	VMOVDQU 224(R10), Y14
	VMASKMOVPS 224(AX), Y14, Y8
	VMULPS Y15, Y8, Y8
	VADDPS Y8, Y7, Y7
	ADDQ $256, R10
	INCQ BX
	CMPQ BX, R11
	JLT dw2tap

dw2store:
	VADDPS Y11, Y0, Y0
	VADDPS Y11, Y1, Y1
	VADDPS Y11, Y2, Y2
	VADDPS Y11, Y3, Y3
	VADDPS Y11, Y4, Y4
	VADDPS Y11, Y5, Y5
	VADDPS Y11, Y6, Y6
	VADDPS Y11, Y7, Y7
	TESTQ R14, R14
	JEQ dw2write
	VMAXPS Y0, Y12, Y0
	VANDPS Y13, Y0, Y0
	VMAXPS Y1, Y12, Y1
	VANDPS Y13, Y1, Y1
	VMAXPS Y2, Y12, Y2
	VANDPS Y13, Y2, Y2
	VMAXPS Y3, Y12, Y3
	VANDPS Y13, Y3, Y3
	VMAXPS Y4, Y12, Y4
	VANDPS Y13, Y4, Y4
	VMAXPS Y5, Y12, Y5
	VANDPS Y13, Y5, Y5
	VMAXPS Y6, Y12, Y6
	VANDPS Y13, Y6, Y6
	VMAXPS Y7, Y12, Y7
	VANDPS Y13, Y7, Y7

dw2write:
	VMOVDQU 0(R15), Y14
	VMASKMOVPS Y0, Y14, 0(DI)
	VMOVDQU 32(R15), Y14
	VMASKMOVPS Y1, Y14, 32(DI)
	VMOVDQU 64(R15), Y14
	VMASKMOVPS Y2, Y14, 64(DI)
	VMOVDQU 96(R15), Y14
	VMASKMOVPS Y3, Y14, 96(DI)
	VMOVDQU 128(R15), Y14
	VMASKMOVPS Y4, Y14, 128(DI)
	VMOVDQU 160(R15), Y14
	VMASKMOVPS Y5, Y14, 160(DI)
	VMOVDQU 192(R15), Y14
	VMASKMOVPS Y6, Y14, 192(DI)
	VMOVDQU 224(R15), Y14
	VMASKMOVPS Y7, Y14, 224(DI)
	ADDQ $256, SI
	ADDQ $256, DI
	ADDQ $256, R15
	DECQ R12
	JNZ dw2group

dw2done:
	VZEROUPPER
	RET
