package io.github.s3lock.simulation;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code target/simulation-report.txt}: one section per test of {@link SimulationTest} (the main runs' figures,
 * each negative control's finding), rewritten whole after every section, so that it is complete whatever the
 * order of the tests and whichever of them failed.
 */
final class Report {

  private static final Path FILE = Path.of("target", "simulation-report.txt");
  private static final Map<String, String> SECTIONS = new TreeMap<>();

  private Report() {}

  /** Sets the section {@code title} (sections are sorted by title) and rewrites the file. */
  static synchronized void section(String title, String text) {
    SECTIONS.put(title, text.endsWith("\n") ? text : text + "\n");
    StringBuilder s = new StringBuilder();
    SECTIONS.forEach((t, body) -> s.append("== ").append(t).append(" ==\n").append(body).append('\n'));
    try {
      Files.createDirectories(FILE.getParent());
      Files.writeString(FILE, s);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
