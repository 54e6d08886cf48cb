using RwkvNative.Fuzz;

// rwkv-fuzz: runs one fuzz target under AFL++ (default), libFuzzer (--libfuzzer), or replays files (replay).
// docs/fuzzing.md has the commands.
return FuzzProgram.Run(args);
