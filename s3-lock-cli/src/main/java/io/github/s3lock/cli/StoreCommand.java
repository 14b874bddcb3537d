package io.github.s3lock.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** A command that talks to one bucket: the shared options, and where to print. */
abstract class StoreCommand implements Callable<Integer> {

  @Mixin
  StoreOptions store;

  @ParentCommand
  S3LockCli cli;

  @Spec
  CommandLine.Model.CommandSpec spec;

  PrintWriter out() {
    return spec.commandLine().getOut();
  }

  PrintWriter err() {
    return spec.commandLine().getErr();
  }
}
