package dev.lifeboat.process;

/** The running child with its output captures. */
public record SupervisedChild(ChildProcess process, OutputCapture stdout, OutputCapture stderr) {}
