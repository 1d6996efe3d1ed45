// go-plugin's own services (go-plugin host): gRPC health, GRPCController, GRPCStdio and GRPCBroker.
//
// go-plugin's client health-checks service "plugin", opens StreamStdio and StartStream once after connecting
// and calls GRPCController.Shutdown when Nomad kills the plugin. Stdio and broker streams carry nothing for a
// Nomad driver; they are accepted and held open until the host closes them.
import * as grpc from "@grpc/grpc-js";
import { HealthCheckResponse_ServingStatus, HealthService, type HealthServer } from "./gen/grpc/health/v1/health.ts";
import { GRPCBrokerService, type GRPCBrokerServer } from "./gen/plugin/grpc_broker.ts";
import { GRPCControllerService, type GRPCControllerServer } from "./gen/plugin/grpc_controller.ts";
import { GRPCStdioService, type GRPCStdioServer } from "./gen/plugin/grpc_stdio.ts";

/** Services reported SERVING: go-plugin checks "plugin"; "" is the conventional whole-server entry. */
const SERVING_SERVICES = new Set(["", "plugin"]);

export function healthServer(): HealthServer {
  return {
    check(call, callback) {
      if (SERVING_SERVICES.has(call.request.service)) {
        callback(null, { status: HealthCheckResponse_ServingStatus.SERVING });
      } else {
        callback({ code: grpc.status.NOT_FOUND, details: `unknown service ${JSON.stringify(call.request.service)}` });
      }
    },
    watch(call) {
      const status = SERVING_SERVICES.has(call.request.service)
        ? HealthCheckResponse_ServingStatus.SERVING
        : HealthCheckResponse_ServingStatus.SERVICE_UNKNOWN;
      call.write({ status });
      // The status never changes while the process lives; the stream ends when the client cancels.
    },
  };
}

/** GRPCController: `onShutdown` runs after the reply has been sent. */
export function controllerServer(onShutdown: () => void): GRPCControllerServer {
  return {
    shutdown(_call, callback) {
      callback(null, {});
      setImmediate(onShutdown);
    },
  };
}

export function stdioServer(): GRPCStdioServer {
  return {
    streamStdio(call) {
      // Held open, sending nothing, until the host cancels; the server's shutdown ends it too.
      call.on("cancelled", () => call.end());
    },
  };
}

export function brokerServer(): GRPCBrokerServer {
  return {
    startStream(call) {
      // Read (and ignore) until the host half-closes, then close our side.
      call.on("data", () => {});
      call.on("end", () => call.end());
      call.on("error", () => {});
    },
  };
}

export function addGoPluginServices(server: grpc.Server, onShutdown: () => void): void {
  server.addService(HealthService, healthServer());
  server.addService(GRPCControllerService, controllerServer(onShutdown));
  server.addService(GRPCStdioService, stdioServer());
  server.addService(GRPCBrokerService, brokerServer());
}
