// Each cluster is five .NET processes on a 2-core machine: clusters of different test classes must not
// start at the same time, or every ready deadline becomes a race with the others.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
