"""Machine-learning library of Emotional Echoes: pure Python + TensorFlow, never Django.

`ml.mood` is the shared mood vocabulary, `ml.emotion` reads faces and hands,
`ml.music` composes. Weights we train live in `ml/weights/`.
"""
