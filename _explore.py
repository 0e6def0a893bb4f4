import time, sys
import jax
from backend.engine.run import Run
from backend.engine.config import Config
from backend.engine import program
F = ["x1","x2","x1_squared","x2_squared","x1_x2","sin_x1","sin_x2"]
for cfg in [Config(hidden_layers=[8]*8, activation="sigmoid", init="xavier"), Config(hidden_layers=[16]*10, features=F), Config(hidden_layers=[8]*6, features=F)]:
    t=time.perf_counter()
    r = Run(cfg); s=r.advance(0); print(len(cfg.hidden_layers), "compile", time.perf_counter()-t, s.gradient_norms, flush=True)
    t=time.perf_counter(); s=r.advance(10); print("10 epochs", time.perf_counter()-t)
print(program.TRACES)
