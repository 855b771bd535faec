/* A hand-written stand-in for a generated model: one dense layer with ReLU. */
#ifndef MODEL_H
#define MODEL_H

#define MODEL_IN 3
#define MODEL_OUT 2

void model_run(const float *in, float *out);

#endif
