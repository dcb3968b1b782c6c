/* Hard-float build (rv32imfc / ilp32f): proves that F-extension code links against picolibc's
 * rv32imf/ilp32f multilib. Expected output: "sqrt(2) * 1.5 = 2.121320" (float result printed with
 * %.6f; 1.5 * sqrt(2) = 2.1213203...). */
#include <math.h>
#include <stdio.h>

int main(void) {
  volatile float a = 2.0f, b = 1.5f;
  float r = sqrtf(a) * b;
  printf("sqrt(2) * 1.5 = %.6f\n", (double)r);
  return 0;
}
