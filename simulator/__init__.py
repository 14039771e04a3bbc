"""The simulated AWS the tests, the demo and the benchmark run on: moto, plus the pieces of real AWS
behaviour moto 5.2 lacks, each in a clearly named module of its AWS service, installed and removed together
by ``moto_patches.simulated_aws()``."""
