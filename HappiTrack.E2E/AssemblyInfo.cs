// One browser at a time keeps 2-core CI machines responsive; E2E classes share nothing but the CPU.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
