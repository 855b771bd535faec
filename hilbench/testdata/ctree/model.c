#include "model.h"

static const float W[MODEL_OUT][MODEL_IN] = {
	{0.5f, -1.0f, 2.0f},
	{1.5f, 0.25f, -0.75f},
};
static const float B[MODEL_OUT] = {0.125f, -0.25f};

void model_run(const float *in, float *out)
{
	for (int o = 0; o < MODEL_OUT; o++) {
		float acc = B[o];
		for (int i = 0; i < MODEL_IN; i++)
			acc += W[o][i] * in[i];
		out[o] = acc > 0.0f ? acc : 0.0f;
	}
}
