import GatewayCore
import Hummingbird
import Prometheus

/// Liveness, readiness and Prometheus metrics for the operator's monitoring.
struct HealthRoutes {
    let database: Database
    let metrics: PrometheusCollectorRegistry

    func addRoutes<Context: RequestContext>(to router: Router<Context>) {
        router.get("/healthz") { _, _ in "ok\n" }
        router.get("/readyz") { _, _ -> Response in
            let reachable = await database.isReachable()
            return Response(
                status: reachable ? .ok : .serviceUnavailable,
                headers: [.contentType: "text/plain; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: reachable ? "ready\n" : "database unreachable\n")))
        }
        router.get("/metrics") { _, _ -> Response in
            Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: metrics.emitToBuffer())))
        }
    }
}
