"""What ``zdd demo`` needs at run time: moto with zdd's additions (``moto``, the one
launcher of the emulator), ECS's scheduler, the demo's stack, traffic and injectors.

The core never imports this package; tests and benchmarks use it as their emulator.
Nothing is imported here, so ``python -m generator.demo.moto`` starts an emulator
without loading the rest of zdd.
"""
