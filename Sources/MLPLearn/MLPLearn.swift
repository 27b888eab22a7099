// MLPLearn: the lecture algorithms on top of MLPTensor and MLPAutograd, one
// folder per topic (Layers, Losses, Optimizers, Training, Manifold, ...),
// usable from Swift without the language.
