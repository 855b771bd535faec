#include "textflag.h"

// func fastTapsAVX2(dst *float32, n int, src *float32, offs *int, ws *float32, ntaps int)
//
// dst[p] = Σ_t ws[t]·src[p+offs[t]] for p in [0, n), n a multiple of 32, the taps summed in
// order from zero with a separate multiply and add each (bit-identical to fastTapsGo).
TEXT ·fastTapsAVX2(SB), NOSPLIT, $0-48
	MOVQ dst+0(FP), DI
	MOVQ n+8(FP), CX
	MOVQ src+16(FP), SI
	MOVQ offs+24(FP), R8
	MOVQ ws+32(FP), R9
	MOVQ ntaps+40(FP), R10
	SHRQ $5, CX
	JEQ tapsdone

tapsouter:
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	XORQ R11, R11
	TESTQ R10, R10
	JEQ tapsstore

tapsloop:
	MOVQ (R8)(R11*8), R12
	VBROADCASTSS (R9)(R11*4), Y4
	LEAQ (SI)(R12*4), R13
	VMULPS (R13), Y4, Y5
	VMULPS 32(R13), Y4, Y6
	VMULPS 64(R13), Y4, Y7
	VMULPS 96(R13), Y4, Y8
	VADDPS Y5, Y0, Y0
	VADDPS Y6, Y1, Y1
	VADDPS Y7, Y2, Y2
	VADDPS Y8, Y3, Y3
	INCQ R11
	CMPQ R11, R10
	JLT tapsloop

tapsstore:
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	ADDQ $128, DI
	ADDQ $128, SI
	DECQ CX
	JNZ tapsouter

tapsdone:
	VZEROUPPER
	RET

// func fastKernel4x16OffsAVX2(k int, a *float32, b *float32, offs *int, c *float32, ldc int)
//
// fastKernel4x16PackedAVX2 with B's row l at b+offs[l] instead of b+16·l (bit-identical to
// fastKernel4x16OffsGo).
TEXT ·fastKernel4x16OffsAVX2(SB), NOSPLIT, $0-48
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DI
	MOVQ offs+24(FP), R9
	MOVQ c+32(FP), DX
	MOVQ ldc+40(FP), R10
	SHLQ $2, R10
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	TESTQ CX, CX
	JEQ offsstore

offsloop:
	MOVQ (R9), R14
	LEAQ (DI)(R14*4), R15
	VMOVUPS (R15), Y8
	VMOVUPS 32(R15), Y9
	VBROADCASTSS (SI), Y10
	VBROADCASTSS 4(SI), Y11
	VMULPS Y8, Y10, Y12
	VMULPS Y9, Y10, Y13
	VADDPS Y12, Y0, Y0
	VADDPS Y13, Y1, Y1
	VMULPS Y8, Y11, Y14
	VMULPS Y9, Y11, Y15
	VADDPS Y14, Y2, Y2
	VADDPS Y15, Y3, Y3
	VBROADCASTSS 8(SI), Y10
	VBROADCASTSS 12(SI), Y11
	VMULPS Y8, Y10, Y12
	VMULPS Y9, Y10, Y13
	VADDPS Y12, Y4, Y4
	VADDPS Y13, Y5, Y5
	VMULPS Y8, Y11, Y14
	VMULPS Y9, Y11, Y15
	VADDPS Y14, Y6, Y6
	VADDPS Y15, Y7, Y7
	ADDQ $16, SI
	ADDQ $8, R9
	DECQ CX
	JNZ offsloop

offsstore:
	VMOVUPS Y0, (DX)
	VMOVUPS Y1, 32(DX)
	ADDQ R10, DX
	VMOVUPS Y2, (DX)
	VMOVUPS Y3, 32(DX)
	ADDQ R10, DX
	VMOVUPS Y4, (DX)
	VMOVUPS Y5, 32(DX)
	ADDQ R10, DX
	VMOVUPS Y6, (DX)
	VMOVUPS Y7, 32(DX)
	VZEROUPPER
	RET

// func fastKernel4x16PackedAVX2(k int, a *float32, b *float32, c *float32, ldc int)
//
// C[0:4, 0:16] = Σ_l A[0:4, l]·B[l, 0:16] for l = 0..k−1 in increasing order, starting from
// zero, with a separate multiply and add for every term (no fused multiply-add), so the result
// is bit-identical to fastKernel4x16PackedGo. a holds A's 4 rows interleaved ([k][4]), b holds
// B's 16 columns contiguously ([k][16]).
TEXT ·fastKernel4x16PackedAVX2(SB), NOSPLIT, $0-40
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DI
	MOVQ c+24(FP), DX
	MOVQ ldc+32(FP), R10
	SHLQ $2, R10
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	TESTQ CX, CX
	JEQ packedstore

packedloop:
	VMOVUPS (DI), Y8
	VMOVUPS 32(DI), Y9
	VBROADCASTSS (SI), Y10
	VBROADCASTSS 4(SI), Y11
	VMULPS Y8, Y10, Y12
	VMULPS Y9, Y10, Y13
	VADDPS Y12, Y0, Y0
	VADDPS Y13, Y1, Y1
	VMULPS Y8, Y11, Y14
	VMULPS Y9, Y11, Y15
	VADDPS Y14, Y2, Y2
	VADDPS Y15, Y3, Y3
	VBROADCASTSS 8(SI), Y10
	VBROADCASTSS 12(SI), Y11
	VMULPS Y8, Y10, Y12
	VMULPS Y9, Y10, Y13
	VADDPS Y12, Y4, Y4
	VADDPS Y13, Y5, Y5
	VMULPS Y8, Y11, Y14
	VMULPS Y9, Y11, Y15
	VADDPS Y14, Y6, Y6
	VADDPS Y15, Y7, Y7
	ADDQ $16, SI
	ADDQ $64, DI
	DECQ CX
	JNZ packedloop

packedstore:
	VMOVUPS Y0, (DX)
	VMOVUPS Y1, 32(DX)
	ADDQ R10, DX
	VMOVUPS Y2, (DX)
	VMOVUPS Y3, 32(DX)
	ADDQ R10, DX
	VMOVUPS Y4, (DX)
	VMOVUPS Y5, 32(DX)
	ADDQ R10, DX
	VMOVUPS Y6, (DX)
	VMOVUPS Y7, 32(DX)
	VZEROUPPER
	RET
