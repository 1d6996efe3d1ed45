# The seed job's pot task, as a job author writes it; parsed with Nomad v1.6.3's jobspec2.
job "nginx-pot" {
  datacenters = ["dc1"]

  group "web" {
    task "www1" {
      driver = "pot"

      config {
        image           = "https://pot-registry.zapto.org/registry/"
        pot             = "FBSD120-nginx"
        tag             = "1.0"
        command         = "nginx -g 'daemon off;'"
        network_mode    = "public-bridge"
        port_map        = { http = "80" }
        copy            = ["/root/index.html:/usr/local/www/nginx-dist/index.html", "/root/nginx.conf:/usr/local/etc/nginx/nginx.conf"]
        mount           = ["/tmp/test:/root/test"]
        mount_read_only = ["/tmp/test2:/root/test2"]
      }
    }
  }
}
