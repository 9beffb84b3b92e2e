package org.tjregistry.solr;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Properties;

import org.apache.solr.embedded.JettyConfig;
import org.apache.solr.embedded.JettySolrRunner;

/**
 * Starts a standalone Solr node on a fixed port from a Solr home directory.
 *
 * Usage: SolrServer SOLR_HOME PORT READY_FILE
 *
 * The node keeps running on Jetty's non-daemon threads after main returns;
 * SIGTERM shuts Jetty and the core container down cleanly.
 */
public final class SolrServer {
    private SolrServer() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 3) {
            System.err.println("usage: SolrServer SOLR_HOME PORT READY_FILE");
            System.exit(2);
        }
        Path home = Paths.get(args[0]).toAbsolutePath();
        int port = Integer.parseInt(args[1]);
        Path readyFile = Paths.get(args[2]).toAbsolutePath();

        JettyConfig config = JettyConfig.builder()
                .setPort(port)
                .stopAtShutdown(true)
                .build();
        JettySolrRunner runner = new JettySolrRunner(home.toString(), new Properties(), config);
        runner.start();

        String baseUrl = runner.getBaseUrl().toString();
        Files.writeString(readyFile, baseUrl + "\n", StandardCharsets.UTF_8);
        System.out.println("Solr listening at " + baseUrl);
    }
}
