package dev.lifeboat.lifecycle;

import dev.lifeboat.process.ChildProcess;
import dev.lifeboat.process.OutputCapture;
import dev.lifeboat.process.Reaper;

/** The running child with its output captures and the reaper collecting its status. */
public record SupervisedChild(ChildProcess process, OutputCapture stdout, OutputCapture stderr, Reaper reaper) {}
