package org.dipcheck.localnode;

import java.io.Closeable;
import java.lang.reflect.Constructor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.elasticsearch.common.logging.LogConfigurator;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.env.Environment;
import org.elasticsearch.node.InternalSettingsPreparer;
import org.elasticsearch.node.MockNode;
import org.elasticsearch.node.Node;
import org.elasticsearch.plugins.Plugin;
import org.elasticsearch.transport.netty4.Netty4Plugin;

/**
 * One Elasticsearch node in this JVM, on 127.0.0.1, for DipCheck's tests and benchmarks.
 *
 * The published server library comes without the modules a packaged node loads, so the node is
 * started the way Elasticsearch's own test framework starts one (MockNode), with the plugins it
 * needs on the classpath: netty4 (published) for the real HTTP and transport layers, and two
 * small plugins of ours for what DipCheck uses from unpublished modules: LuceneAnalysisPlugin
 * (analysis-common's filters) and RootInfoPlugin (rest-root's `GET /`).
 *
 * Arguments: --name NAME --home DIR --http-port N --transport-port N
 *            [--seed-ports N,N,N --master-names A,B,C] (a cluster; one node alone otherwise)
 */
public final class LocalNode {
    private LocalNode() {}

    public static void main(String[] argv) throws Exception {
        Map<String, String> args = parse(argv);
        Path home = Path.of(required(args, "home"));
        Files.createDirectories(home.resolve("config"));
        Settings.Builder settings = Settings.builder()
            .put("cluster.name", "dipcheck-local")
            .put("node.name", required(args, "name"))
            .put("path.home", home.toString())
            .put("path.data", home.resolve("data").toString())
            .put("path.logs", home.resolve("logs").toString())
            .put("network.host", "127.0.0.1")
            .put("http.port", required(args, "http-port"))
            .put("transport.port", required(args, "transport-port"))
            .put("http.type", Netty4Plugin.NETTY_HTTP_TRANSPORT_NAME)
            .put("transport.type", Netty4Plugin.NETTY_TRANSPORT_NAME)
            // A shared development disk may be nearly full; that must not make shards unassigned.
            .put("cluster.routing.allocation.disk.threshold_enabled", false);
        if (args.containsKey("seed-ports")) {
            List<String> seeds = new ArrayList<>();
            for (String port : args.get("seed-ports").split(",")) {
                seeds.add("127.0.0.1:" + port);
            }
            settings.putList("discovery.seed_hosts", seeds);
            settings.putList("cluster.initial_master_nodes", List.of(required(args, "master-names").split(",")));
        } else {
            settings.put("discovery.type", "single-node");
        }
        LogConfigurator.registerErrorListener();
        LogConfigurator.configureWithoutConfig(settings.build());

        Node node = newNode(settings.build());
        node.start();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                node.close();
                node.awaitClose(30, TimeUnit.SECONDS);
            } catch (Exception e) {
                e.printStackTrace();
            } finally {
                stopped.countDown();
            }
        }, "local-node-shutdown"));
        stopped.await();
    }

    /**
     * MockNode's public constructors go through ESTestCase, whose static set-up refuses to run as
     * root (CI containers do); its constructor from a prepared Environment does not.
     */
    private static Node newNode(Settings settings) throws ReflectiveOperationException {
        Environment environment = InternalSettingsPreparer.prepareEnvironment(
            settings, Map.of(), null, () -> settings.get("node.name"));
        Constructor<MockNode> constructor = MockNode.class.getDeclaredConstructor(
            Environment.class, Collection.class, boolean.class, Closeable.class);
        constructor.setAccessible(true);
        Collection<Class<? extends Plugin>> plugins = List.of(Netty4Plugin.class, LuceneAnalysisPlugin.class, RootInfoPlugin.class);
        return constructor.newInstance(environment, plugins, true, (Closeable) () -> {});
    }

    private static Map<String, String> parse(String[] argv) {
        Map<String, String> args = new HashMap<>();
        for (int i = 0; i + 1 < argv.length; i += 2) {
            if (!argv[i].startsWith("--")) {
                throw new IllegalArgumentException("expected --option value, got " + argv[i]);
            }
            args.put(argv[i].substring(2), argv[i + 1]);
        }
        return args;
    }

    private static String required(Map<String, String> args, String name) {
        String value = args.get(name);
        if (value == null) {
            throw new IllegalArgumentException("missing --" + name);
        }
        return value;
    }
}
